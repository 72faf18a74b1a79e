"""Prebuilt detection rules and Timelines: how many are installed, missing or outdated, per space."""

from __future__ import annotations

from typing import Any

from ..state import Backend


class DetectionEngineBackend(Backend):
    area = "detection_engine"

    @classmethod
    def seed(cls, space: str) -> dict[str, Any]:
        # A space whose prebuilt rules package was downloaded but never installed: every
        # prebuilt rule and Timeline is available, none is installed, so none is outdated.
        return {
            "prepackaged_status": {
                "rules_custom_installed": 0,
                "rules_installed": 0,
                "rules_not_installed": 1234,
                "rules_not_updated": 0,
                "timelines_installed": 0,
                "timelines_not_installed": 10,
                "timelines_not_updated": 0,
            }
        }

    def prepackaged_status(self) -> dict[str, Any]:
        return dict(self.data["prepackaged_status"])
