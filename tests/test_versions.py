"""Version ranges: 9.1 and 9.1.0 are one version, whichever side names it."""

from kibana_conformance.versions import holds_for, version_key


def test_trailing_zeros_name_the_same_version() -> None:
    assert version_key("9.1") == version_key("9.1.0") == version_key("9.1.0-SNAPSHOT")
    assert version_key("9.10") > version_key("9.9.5")
    assert holds_for("9.1", "9.1.0", None) is None and holds_for("9.1.0", None, "9.1") is not None
    assert holds_for("9.0.9", "9.1", None) is not None
