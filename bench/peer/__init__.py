"""Peers measured on the same path as the engine: SpiffWorkflow running the procedure as BPMN (benchmark-only)."""
