"""A SpiffWorkflow serializer that stores the process spec once, not in every workflow's JSON.

By default BpmnWorkflowSerializer writes the whole parsed spec into each workflow's serialization (most of its
~20 kB here) and parses it back on every load. Services built on SpiffWorkflow keep specs apart and restore a
workflow against the spec they already hold; this is that, through the serializer's own extension point (a
converter for BpmnWorkflow in `configure`), so the peer is measured at its best as well as out of the box.
"""

from __future__ import annotations

from functools import partial
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.serializer import DEFAULT_CONFIG, BpmnWorkflowSerializer  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.serializer.default.workflow import (  # type: ignore[import-untyped]
    BpmnWorkflowConverter,
    WorkflowConverter,
)


class SpecByNameConverter(BpmnWorkflowConverter):
    """Writes the spec's name; restores the workflow against the already parsed spec of that name."""

    def __init__(self, target_class: type, registry: Any, *, specs: dict[str, Any]) -> None:
        super().__init__(target_class, registry)
        self.specs = specs

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        # As BpmnWorkflowConverter.to_dict (SpiffWorkflow 3.2), but the spec by name instead of converted.
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["spec"] = workflow.spec.name
        dct["subprocess_specs"] = self.mapping_to_dict(workflow.subprocess_specs)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> Any:
        # As BpmnWorkflowConverter.from_dict (SpiffWorkflow 3.2), but the spec is looked up instead of restored.
        spec = self.specs[dct.pop("spec")]
        subprocess_specs = self.mapping_from_dict(dct.pop("subprocess_specs", {}))
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def serializer_with_specs(specs: dict[str, Any]) -> Any:
    config = {**DEFAULT_CONFIG, BpmnWorkflow: partial(SpecByNameConverter, specs=specs)}
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
