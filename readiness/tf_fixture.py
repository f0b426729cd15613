"""Apply and destroy a Terraform module under terraform/fixtures/ for a live drill, recorded or replayed.

record mode runs the terraform binary in a working copy of the module and saves a recording of
what it created. replay mode needs no binary: it creates the recorded resources with boto3 (on the
twin, or wherever the endpoint points) and deletes them in reverse order. Either mode keeps its
state when a destroy fails (the working folder with terraform.tfstate, or a JSON state file), and
destroy_from_state() retries from it.

Set READINESS_TF_PLUGIN_DIR to a folder of provider plugins (the layout `terraform providers
mirror` writes) to run `terraform init -plugin-dir` with no registry access.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Callable

import boto3
import botocore.config
import botocore.exceptions

from readiness import tfparse
from readiness.target import TWIN_CREDENTIALS
from readiness.tf_recording import (
    CREATORS, RECORDING_FORMAT, FixtureError, creation_order, instances, load_recording, recording_from_state,
    recording_path, render,
)

log = logging.getLogger(__name__)

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "terraform" / "fixtures"
DEFAULT_STATE_DIR = Path(tempfile.gettempdir()) / "readiness-fixtures"
PLUGIN_DIR_ENV = "READINESS_TF_PLUGIN_DIR"
# CHECKPOINT_DISABLE stops Terraform from calling its version-check service.
_TERRAFORM_ENV = {"CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1", "TF_INPUT": "0"}
# Subcommands that color their messages unless given -no-color; the messages end up in FixtureError.
_COLORED_COMMANDS = frozenset({"init", "apply", "destroy"})

# --- The runner ----------------------------------------------------------------------------------


class FixtureRunner:
    """Applies one fixture module and destroys it again, in record or replay mode.

    mode "auto" replays when endpoint_url is set (the twin) or no terraform binary is on PATH, and
    records otherwise. A runner applies once; create another for a second fixture.
    """

    def __init__(self, mode: str = "auto", endpoint_url: str | None = None, region: str | None = None,
                 profile: str | None = None, recordings_dir: Path | None = None, state_dir: Path | None = None,
                 plugin_dir: str | None = None, timeout: float = 900.0) -> None:
        if mode not in ("auto", "record", "replay"):
            raise ValueError(f"mode {mode!r} is not valid; use auto, record or replay")
        self.requested_mode = mode
        self.mode: str | None = None
        self.endpoint_url = endpoint_url
        self.region = region
        self.profile = profile
        self.recordings_dir = recordings_dir
        self.state_dir = Path(state_dir or DEFAULT_STATE_DIR)
        self.plugin_dir = plugin_dir if plugin_dir is not None else os.environ.get(PLUGIN_DIR_ENV) or None
        self.timeout = timeout
        self.module: str | None = None
        self.run_id: str | None = None
        # replay: the created resources in creation order. record: the working folder with terraform.tfstate.
        self.created: list[dict] = []
        self.state_file: Path | None = None
        self.workdir: Path | None = None
        self._client: Callable[[str], Any] | None = None

    def apply(self, module: str, variables: dict) -> dict:
        """Create the module's resources and return its outputs; on failure delete what was created and raise FixtureError."""
        if self.module is not None:
            raise FixtureError(f"this runner already applied fixture {self.module}; call destroy() and use a new runner")
        folder = FIXTURES_DIR / module
        if not (folder / "main.tf").is_file():
            raise FixtureError(f"fixture module {module} not found: {folder} has no main.tf")

        values = resolve_variables(folder, variables)
        self.module, self.run_id = module, str(values["run_id"])
        self.mode = self.choose_mode()
        log.info("applying fixture %s for run %s in %s mode", module, self.run_id, self.mode)

        if self.mode == "record":
            return self._record_apply(folder, values)
        return self._replay_apply(values)

    def choose_mode(self) -> str:
        """Return the mode apply uses: the requested one, or for auto replay on an endpoint or without terraform."""
        if self.requested_mode != "auto":
            return self.requested_mode
        return "replay" if self.endpoint_url or shutil.which("terraform") is None else "record"

    def destroy(self) -> None:
        """Delete what apply created; on failure keep the state and raise FixtureError saying how to retry."""
        if self.module is None:
            return
        module = self.module
        if self.mode == "record":
            self._record_destroy()
        else:
            self._replay_destroy()
        log.info("destroyed fixture %s of run %s", module, self.run_id)

    # --- replay ---

    def _replay_apply(self, variables: dict) -> dict:
        recording = load_recording(self.module, self.recordings_dir)
        entries = creation_order(recording["resources"])
        unknown = sorted({entry["type"] for entry in entries} - set(CREATORS))
        if unknown:
            raise FixtureError(f"replay has no creator for {unknown} in the recording of {self.module}; "
                               "add them to readiness.tf_recording.CREATORS")

        scope = {"run_id": self.run_id, **{f"var.{name}": value for name, value in variables.items()}}
        extra_tags = variables.get("tags") or {}
        self.state_file = self.state_dir / f"{self.module}-{self.run_id}.json"
        client = self._client_factory()
        address = "(before the first resource)"
        try:
            for entry in entries:
                for address, each in instances(entry, scope):
                    attributes = render(entry["attributes"], scope if each is None else {**scope, "each.value": each})
                    tags = {**extra_tags, **attributes.pop("tags", {})}
                    ids = CREATORS[entry["type"]].create(client, attributes, tags)
                    self.created.append({"address": address, "type": entry["type"], "ids": ids})
                    self._write_state()
                    log.info("fixture %s: created %s %s", self.module, address, ids["id"])
                    if each is None:
                        scope.update({f"{entry['address']}.{name}": value for name, value in ids.items()})
            return render(recording["outputs"], scope)
        except BaseException as error:
            count = len(self.created)
            if self._delete_created():
                message = (f"apply of fixture {self.module} (run {self.run_id}) failed at {address} "
                           f"({_describe(error)}), and deleting what it created failed too: "
                           f"{self._leftover_text()}; {self._retry_text()}")
            else:
                message = (f"apply of fixture {self.module} (run {self.run_id}) failed at {address}: "
                           f"{_describe(error)}; the {count} resources it had created were deleted")
                self.module = None
            _raise_from(error, message)

    def _replay_destroy(self) -> None:
        if self._delete_created():
            raise FixtureError(f"destroy of fixture {self.module} (run {self.run_id}) left "
                               f"{len(self.created)} resources: {self._leftover_text()}; {self._retry_text()}")
        self.module = None

    def _delete_created(self) -> list[dict]:
        """Delete the created resources newest first, trying each; keep and return the ones that failed."""
        client = self._client_factory()
        leftovers = []
        for resource in reversed(self.created):
            creator = CREATORS[resource["type"]]
            try:
                creator.delete(client, resource["ids"])
            except botocore.exceptions.ClientError as error:
                if error.response.get("Error", {}).get("Code") not in creator.gone_codes:
                    leftovers.append({**resource, "error": _describe(error)})
                    log.warning("fixture %s: deleting %s failed: %s", self.module, resource["address"], error)
                    continue
            except Exception as error:  # noqa: BLE001 - every resource gets its delete attempt
                leftovers.append({**resource, "error": _describe(error)})
                log.warning("fixture %s: deleting %s failed: %s", self.module, resource["address"], error)
                continue
            log.info("fixture %s: deleted %s", self.module, resource["address"])

        self.created = list(reversed(leftovers))
        if self.created:
            self._write_state()
        elif self.state_file is not None:
            self.state_file.unlink(missing_ok=True)
        return self.created

    def _write_state(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        document = {"format": RECORDING_FORMAT, "mode": "replay", "module": self.module, "run_id": self.run_id,
                    "endpoint_url": self.endpoint_url, "region": self.region, "profile": self.profile,
                    "resources": self.created}
        self.state_file.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")

    def _leftover_text(self) -> str:
        return "; ".join(f"{item['address']} ({item['ids']['id']}): {item.get('error', 'not deleted')}"
                         for item in self.created)

    def _retry_text(self) -> str:
        if self.mode == "record":
            return (f"the state is kept in {self.workdir / 'terraform.tfstate'}; retry with: "
                    f"terraform -chdir={shlex.quote(str(self.workdir))} destroy -auto-approve, "
                    f"or readiness.tf_fixture.destroy_from_state({str(self.workdir)!r})")
        return (f"the state is kept in {self.state_file}; retry with: python -c \"from readiness.tf_fixture "
                f"import destroy_from_state; destroy_from_state({str(self.state_file)!r})\", "
                f"or readiness.tf_fixture.destroy_from_state({str(self.state_file)!r})")

    def _client_factory(self) -> Callable[[str], Any]:
        if self._client is None:
            self._client = self._new_client_factory()
        return self._client

    def _new_client_factory(self) -> Callable[[str], Any]:
        if self.endpoint_url:
            session = boto3.Session(region_name=self.region, **TWIN_CREDENTIALS)
        else:
            session = boto3.Session(profile_name=self.profile, region_name=self.region)
        if not session.region_name:
            raise FixtureError("replay needs a region: pass region= or set AWS_REGION")
        config = botocore.config.Config(retries={"mode": "standard", "max_attempts": 3})
        clients: dict[str, Any] = {}

        def client(service: str):
            if service not in clients:
                clients[service] = session.client(service, endpoint_url=self.endpoint_url, config=config)
            return clients[service]

        return client

    # --- record ---

    def _record_apply(self, folder: Path, variables: dict) -> dict:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{self.module}-{self.run_id}-", dir=self.state_dir))
        shutil.copytree(folder, self.workdir, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
        # An auto.tfvars file, not -var flags, so that a retried destroy needs no arguments.
        (self.workdir / "readiness.auto.tfvars.json").write_text(json.dumps(variables, indent=2), encoding="utf-8")
        (self.workdir / "readiness-fixture.json").write_text(
            json.dumps({"module": self.module, "run_id": self.run_id, "plugin_dir": self.plugin_dir}), encoding="utf-8")
        provider = self._provider_settings()
        if provider:
            (self.workdir / "readiness_provider.tf.json").write_text(
                json.dumps({"provider": {"aws": provider}}, indent=2), encoding="utf-8")

        try:
            self._terraform("init", "-input=false", *(["-plugin-dir", self.plugin_dir] if self.plugin_dir else []))
        except BaseException:
            # init creates no resource, so nothing needs destroying.
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.module = None
            raise

        try:
            self._terraform("apply", "-auto-approve", "-input=false")
            outputs = {name: item["value"] for name, item in json.loads(self._terraform("output", "-json")).items()}
            show = json.loads(self._terraform("show", "-json"))
            version = json.loads(self._terraform("version", "-json"))["terraform_version"]
        except BaseException as error:
            try:
                self._terraform("destroy", "-auto-approve", "-input=false")
            except FixtureError as cleanup:
                _raise_from(error, f"apply of fixture {self.module} (run {self.run_id}) failed ({_describe(error)}), "
                                   f"and terraform destroy failed too ({cleanup}); {self._retry_text()}")
            shutil.rmtree(self.workdir, ignore_errors=True)
            message = (f"apply of fixture {self.module} (run {self.run_id}) failed: {_describe(error)}; "
                       "terraform destroy removed what it had created")
            self.module = None
            _raise_from(error, message)

        path = recording_path(self.module, self.recordings_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        recording = recording_from_state(self.module, show, outputs, variables, version)
        declared = {f"{resource.type}.{resource.name}" for resource in tfparse.parse_module(folder, folder).resources}
        unrecorded = sorted(declared - {entry["address"].split("[", 1)[0] for entry in recording["resources"]})
        if unrecorded:
            log.warning("fixture %s: %s had no instances in this apply, so the recording lacks them and replay "
                        "will not create them; record with variables that create every resource", self.module, unrecorded)
        path.write_text(json.dumps(recording, indent=2) + "\n", encoding="utf-8")
        log.info("fixture %s: recorded %d resources in %s", self.module, len(recording["resources"]), path)
        return outputs

    def _record_destroy(self) -> None:
        try:
            self._terraform("destroy", "-auto-approve", "-input=false")
        except FixtureError as error:
            raise FixtureError(f"destroy of fixture {self.module} (run {self.run_id}) failed: {error}; "
                               f"{self._retry_text()}") from error
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.module = None

    def _provider_settings(self) -> dict:
        """Return the aws provider arguments: region and profile, plus the endpoints when the target is not AWS."""
        settings: dict[str, Any] = {}
        if self.region:
            settings["region"] = self.region
        if self.profile:
            settings["profile"] = self.profile
        if self.endpoint_url:
            settings.update(
                access_key=TWIN_CREDENTIALS["aws_access_key_id"], secret_key=TWIN_CREDENTIALS["aws_secret_access_key"],
                skip_credentials_validation=True, skip_requesting_account_id=True, skip_metadata_api_check=True,
                endpoints=[{service: self.endpoint_url for service in ("ec2", "rds", "sts", "iam")}],
            )
        return settings

    def _terraform(self, *arguments: str) -> str:
        return run_terraform(self.workdir, arguments, self.timeout)


# --- Helpers -------------------------------------------------------------------------------------


def resolve_variables(folder: Path, given: dict) -> dict:
    """Return the module's variable defaults overridden by the given values; raise FixtureError for unknown or missing ones."""
    declared = tfparse.parse_module(folder, folder).variables
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise FixtureError(f"fixture {folder.name} declares no variables {unknown}; it declares {sorted(declared)}")
    values = {name: variable.default for name, variable in declared.items() if variable.has_default}
    values.update(given)
    missing = sorted(set(declared) - set(values))
    if missing:
        raise FixtureError(f"fixture {folder.name} is missing required variables {missing}; pass them in variables")
    # NOTE: replay does not evaluate the module's validation blocks; terraform does in record mode.
    return values


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _raise_from(error: BaseException, message: str) -> None:
    """Raise FixtureError(message) for an error, but let Ctrl-C and exits through after logging the message."""
    if not isinstance(error, Exception):
        log.error("%s", message)
        raise error
    raise FixtureError(message) from error


def run_terraform(workdir: Path, arguments: tuple[str, ...] | list[str], timeout: float) -> str:
    """Run terraform in workdir and return its standard output, or raise FixtureError with the end of its errors."""
    binary = shutil.which("terraform")
    if binary is None:
        raise FixtureError("terraform is not on PATH; install it or use replay mode")
    command = [binary, arguments[0], *(["-no-color"] if arguments[0] in _COLORED_COMMANDS else []), *arguments[1:]]
    try:
        completed = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=timeout,
                                   check=False, env={**os.environ, **_TERRAFORM_ENV})
    except subprocess.TimeoutExpired as error:
        raise FixtureError(f"terraform {arguments[0]} in {workdir} timed out after {timeout:.0f} s") from error
    if completed.returncode != 0:
        detail = (completed.stderr or completed.stdout).strip()[-1500:]
        raise FixtureError(f"terraform {arguments[0]} in {workdir} failed (exit {completed.returncode}): {detail}")
    return completed.stdout


@functools.cache
def probe_terraform(plugin_dir: str | None = None) -> str | None:
    """Return None when `terraform init` of a fixture works offline, else the reason it does not.

    The probe runs in a temporary copy with -plugin-dir: the given folder, or an empty one, so that
    Terraform never requests a provider from a registry. Its result is kept for the process.
    """
    if shutil.which("terraform") is None:
        return "terraform is not on PATH"
    with tempfile.TemporaryDirectory(prefix="readiness-tf-probe-") as scratch:
        workdir = Path(scratch) / "module"
        shutil.copytree(FIXTURES_DIR / "restore_scratch", workdir,
                        ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
        plugins = plugin_dir or str(Path(scratch) / "no-plugins")
        Path(plugins).mkdir(exist_ok=True)
        try:
            run_terraform(workdir, ("init", "-input=false", "-backend=false", "-plugin-dir", plugins), timeout=120)
        except FixtureError as error:
            log.info("terraform probe failed: %s", error)
            cause = next((line.strip() for line in str(error).splitlines() if line.strip().startswith("Error:")),
                         str(error).splitlines()[0])
            hint = f"; set {PLUGIN_DIR_ENV} to a folder that holds the hashicorp/aws provider" if not plugin_dir else ""
            return f"terraform init of a fixture failed offline with plugin folder {plugins} ({cause}){hint}"
    return None


def destroy_from_state(path: str | Path) -> None:
    """Retry a failed destroy from the state it kept: a record-mode working folder or a replay state file."""
    location = Path(path)
    if location.is_dir():
        details = json.loads((location / "readiness-fixture.json").read_text(encoding="utf-8"))
        runner = FixtureRunner(mode="record", plugin_dir=details.get("plugin_dir"))
        runner.workdir = location
    else:
        details = json.loads(location.read_text(encoding="utf-8"))
        runner = FixtureRunner(mode="replay", endpoint_url=details["endpoint_url"], region=details["region"],
                               profile=details["profile"], state_dir=location.parent)
        runner.created = details["resources"]
        runner.state_file = location
    runner.mode = runner.requested_mode
    runner.module, runner.run_id = details["module"], details["run_id"]
    runner.destroy()


def terraform_fixture(request, module: str, variables: dict, **options: Any) -> dict:
    """Apply a fixture module for one pytest test and destroy it at teardown; return its outputs.

    The finalizer is registered before the apply, so it runs after a pass, a failure, an error or
    Ctrl-C (pytest tears fixtures down after a KeyboardInterrupt too). options go to FixtureRunner.
    """
    runner = FixtureRunner(**options)
    request.addfinalizer(runner.destroy)
    return runner.apply(module, variables)
