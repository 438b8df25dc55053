"""Floors: the same step (move a proposal to its other state and write an audit row) done the plainest ways, in
process and over HTTP, so the project's own numbers can be read as ratios measured in the same run."""
