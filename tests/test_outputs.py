"""The Terraform outputs contract: file shapes, clear errors, and missing keys as unverifiable."""

import json

import pytest

from readiness.errors import OutputsError, Unverifiable
from readiness.terraform import OUTPUT_KEYS, load_outputs_file, load_terraform_dir, parse_outputs


def test_terraform_json_shape_is_unwrapped(tmp_path):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"vpc_id": {"value": "vpc-1", "type": "string", "sensitive": False}}))

    outputs = load_outputs_file(str(path))

    assert outputs["vpc_id"] == "vpc-1"


def test_flat_mapping_is_accepted():
    outputs = parse_outputs({"vpc_id": "vpc-2"}, "test")

    assert outputs.require("vpc_id") == "vpc-2"


def test_missing_key_is_unverifiable_naming_it():
    outputs = parse_outputs({}, "outputs file x.json")

    with pytest.raises(Unverifiable, match="'db_instance_identifier'.*missing from outputs file x.json"):
        outputs.require("db_instance_identifier")


def test_key_outside_contract_is_programming_error():
    with pytest.raises(KeyError, match="not in the outputs contract"):
        parse_outputs({}, "test").require("no_such_key")


def test_missing_file_says_how_to_create_it(tmp_path):
    with pytest.raises(OutputsError, match="file not found; write it with 'terraform output -json"):
        load_outputs_file(str(tmp_path / "absent.json"))


def test_malformed_json_names_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"vpc_id": ')

    with pytest.raises(OutputsError, match="invalid JSON at line 1, column"):
        load_outputs_file(str(path))


def test_non_object_is_rejected(tmp_path):
    path = tmp_path / "list.json"
    path.write_text("[1, 2]")

    with pytest.raises(OutputsError, match="must hold a JSON object"):
        load_outputs_file(str(path))


def test_tf_dir_without_terraform_binary(tmp_path):
    with pytest.raises(OutputsError, match="needs the terraform binary"):
        load_terraform_dir(str(tmp_path), terraform="terraform-binary-that-does-not-exist")


def test_contract_keys_are_described():
    assert all(description.strip() for description in OUTPUT_KEYS.values())
