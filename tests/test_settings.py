"""Settings files: [tool.image-coverage] in pyproject.toml, or image-coverage.toml, upward."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.settings import SettingsError, find_settings_file, load_settings


def test_image_coverage_toml_found_upward_with_paths_relative_to_it(tmp_path: Path) -> None:
    (tmp_path / "image-coverage.toml").write_text(
        'hosts-dir = ["certs.d"]\n'
        'catalog = ["hub-cache.example=lists/hub.txt", "docker.m.daocloud.io=daocloud"]\n'
        'fail-on = ["fallback", "blocked"]\n'
        "min-coverage = 80\n"
        'ignore = ["registry.internal.example:5000/**"]\n'
    )
    nested = tmp_path / "deploy" / "prod"
    nested.mkdir(parents=True)
    found = find_settings_file(nested)
    assert found == tmp_path / "image-coverage.toml"
    settings = load_settings(found)
    assert settings.hosts_dir == (str(tmp_path / "certs.d"),)
    assert settings.catalog == (
        f"hub-cache.example={tmp_path / 'lists/hub.txt'}",
        "docker.m.daocloud.io=daocloud",
    )
    assert settings.fail_on == ("fallback", "blocked")
    assert settings.min_coverage == 80.0
    assert settings.ignore == ("registry.internal.example:5000/**",)


def test_pyproject_table_is_used_only_when_it_has_our_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert find_settings_file(tmp_path) is None
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.image-coverage]\nformat = "json"\n'
        'catalog = { "mirror.example" = "all" }\n'
    )
    found = find_settings_file(tmp_path)
    assert found == tmp_path / "pyproject.toml"
    settings = load_settings(found)
    assert settings.format == "json"
    assert settings.catalog == ("mirror.example=all",)


def test_nearest_file_wins(tmp_path: Path) -> None:
    (tmp_path / "image-coverage.toml").write_text('format = "json"\n')
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "pyproject.toml").write_text('[tool.image-coverage]\nformat = "csv"\n')
    found = find_settings_file(inner)
    assert found is not None
    assert load_settings(found).format == "csv"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("format = [\n", "invalid TOML"),
        ("min-coverage = 'high'\n", "'min-coverage' must be a percentage from 0 to 100"),
        ("min-coverage = 150\n", "'min-coverage' must be a percentage from 0 to 100"),
        ('tool = "x"\nformat = [\n', "invalid TOML"),
        ("fail-on = 3\n", "'fail-on' must be a string or a list of strings"),
        ("colour = true\n", "unknown key(s) in [tool.image-coverage]: colour"),
        ("probe = 'yes'\n", "'probe' must be true or false"),
    ],
)
def test_bad_settings_give_one_line_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "image-coverage.toml"
    path.write_text(text)
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_tool_key_that_is_not_a_table_is_just_an_unknown_key(tmp_path: Path) -> None:
    path = tmp_path / "image-coverage.toml"
    path.write_text('tool = "x"\n')
    with pytest.raises(SettingsError, match="unknown key"):
        load_settings(path)


def test_comma_lists_and_config_path_roots_are_split(tmp_path: Path) -> None:
    path = tmp_path / "image-coverage.toml"
    path.write_text(
        'fail-on = "fallback, blocked"\nhosts-dir = "certs:/etc/other"\ninclude = ["indirect"]\n'
    )
    settings = load_settings(path)
    assert settings.fail_on == ("fallback", "blocked")
    assert settings.hosts_dir == (str(tmp_path / "certs"), "/etc/other")
    assert settings.include == ("indirect",)
