"""Parse a Terraform configuration with python-hcl2 into resources, outputs, variables and module calls."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import hcl2

log = logging.getLogger(__name__)

ROOT_MODULE = "."

# Folders that contain no module of the configuration: Terraform's own cache, and example files.
SKIPPED_DIRS = frozenset({".terraform", "examples"})

# python-hcl2 8.x adds metadata keys such as __is_block__, __comments__ and __start_line__.
_METADATA_KEY = re.compile(r"^__\w+__$")
_HEREDOC = re.compile(r"^<<(-?)([A-Za-z][\w.-]*)\r?\n(.*?)\r?\n?[ \t]*\2$", re.S)
_ESCAPE = re.compile(r'\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[nrt"\\])')
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_MODULE_OUTPUT_REFERENCE = re.compile(r"\bmodule\.([A-Za-z_][\w-]*)\.([A-Za-z_][\w-]*)")
_VARIABLE_REFERENCE = re.compile(r"\bvar\.([A-Za-z_][\w-]*)")


class TerraformParseError(ValueError):
    """Error for a .tf file that cannot be read or is not valid HCL."""


@dataclass
class Resource:
    """A resource or data block, with the module that declares it."""

    mode: str
    type: str
    name: str
    module: str
    file: str
    attributes: dict[str, Any]

    @property
    def address(self) -> str:
        """Return the local address, prefixed with the module folder outside the root: modules/data:aws_s3_bucket.app.

        Terraform's own addresses name module calls, not folders, and one folder may be called twice.
        """
        prefix = "" if self.mode == "resource" else "data."
        local = f"{prefix}{self.type}.{self.name}"
        if self.module == ROOT_MODULE:
            return local
        return f"{self.module}:{local}"

    @property
    def provider(self) -> str:
        """Return the provider reference in the module, such as aws or aws.backup."""
        explicit = self.attributes.get("provider")
        if isinstance(explicit, str):
            return unwrap_expression(explicit)
        return self.type.split("_", 1)[0]


@dataclass
class Variable:
    """An input variable and its declared type, description and default."""

    name: str
    file: str
    type: str | None
    description: str | None
    has_default: bool
    default: Any = None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Output:
    """An output value and its description."""

    name: str
    file: str
    description: str | None
    value: Any
    sensitive: bool = False


@dataclass
class ModuleCall:
    """A module block: its source, the child module folder it resolves to, and its arguments."""

    name: str
    file: str
    source: str
    path: str | None
    providers: dict[str, str]
    arguments: dict[str, Any]


@dataclass
class Module:
    """Everything one module folder declares."""

    path: str
    files: list[str] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    data_sources: list[Resource] = field(default_factory=list)
    variables: dict[str, Variable] = field(default_factory=dict)
    outputs: dict[str, Output] = field(default_factory=dict)
    module_calls: dict[str, ModuleCall] = field(default_factory=dict)
    providers: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    terraform: list[dict[str, Any]] = field(default_factory=list)


# --- Value normalization -------------------------------------------------------------------


def unquote(text: str) -> str:
    """Return the content of an HCL string literal that python-hcl2 8.x keeps in its quotes.

    Heredocs come back as a quoted "<<EOT ... EOT" string and lose their markers here. A string
    without surrounding quotes, as earlier python-hcl2 versions return, is returned unchanged.
    """
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        return text
    inner = text[1:-1]

    heredoc = _HEREDOC.match(inner)
    if heredoc:
        return _heredoc_body(heredoc.group(3), indented=heredoc.group(1) == "-")
    return _ESCAPE.sub(_decode_escape, inner)


def _decode_escape(match: re.Match) -> str:
    sequence = match.group(1)
    if sequence[0] in "uU":
        return chr(int(sequence[1:], 16))
    return _SIMPLE_ESCAPES[sequence]


def _heredoc_body(body: str, indented: bool) -> str:
    """Return a heredoc's text, without the common indentation when it was opened with <<-."""
    lines = body.split("\n")
    if indented:
        widths = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip()]
        margin = min(widths, default=0)
        lines = [line[margin:] for line in lines]
    return "\n".join(lines) + "\n"


def unwrap_expression(text: str) -> str:
    """Return the expression inside a lone ${...} wrapper, such as aws.backup for "${aws.backup}"."""
    if text.startswith("${") and text.endswith("}") and text.count("${") == 1:
        return text[2:-1].strip()
    return text


def normalize(value: Any) -> Any:
    """Return python-hcl2 output with metadata keys dropped and quoted keys and strings unquoted."""
    if isinstance(value, dict):
        return {
            unquote(key): normalize(item)
            for key, item in value.items()
            if not _METADATA_KEY.match(key)
        }
    if isinstance(value, list):
        return [normalize(item) for item in value]
    if isinstance(value, str):
        return unquote(value)
    return value


def _blocks(document: dict, block_type: str) -> list[dict]:
    """Return the bodies of one top-level block type. python-hcl2 8.x returns a list, older versions may return a dict."""
    found = document.get(block_type, [])
    if isinstance(found, dict):
        return [found]
    return [item for item in found if isinstance(item, dict)]


def _single(attribute: Any) -> Any:
    """Return a block's only body, because python-hcl2 wraps every block body in a list."""
    if isinstance(attribute, list) and len(attribute) == 1 and isinstance(attribute[0], dict):
        return attribute[0]
    return attribute


# --- Files and modules ---------------------------------------------------------------------


def iter_tf_files(root: str | Path) -> Iterator[Path]:
    """Yield every .tf file under root in sorted order, outside .terraform, examples and hidden folders."""
    base = Path(root)
    for path in sorted(base.rglob("*.tf")):
        relative = path.relative_to(base).parts[:-1]
        if any(part in SKIPPED_DIRS or part.startswith(".") for part in relative):
            continue
        yield path


def load_file(path: str | Path) -> dict:
    """Parse one .tf file and return its normalized blocks, or raise TerraformParseError naming the file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TerraformParseError(f"{file}: cannot be read ({error})") from error

    try:
        document = hcl2.loads(text)
    except Exception as error:
        # python-hcl2 raises lark's exceptions and several of its own, with no common base class.
        raise TerraformParseError(f"{file}: invalid HCL ({type(error).__name__}: {error}); "
                                  "run 'terraform fmt' on it to see where") from error
    return normalize(document)


def parse_module(root: str | Path, folder: str | Path) -> Module:
    """Parse the .tf files directly inside folder as one module, named by its path relative to root."""
    base = Path(root).resolve()
    directory = Path(folder).resolve()
    module = Module(path=_module_path(base, directory))

    for file in sorted(directory.glob("*.tf")):
        relative_file = file.relative_to(base).as_posix()
        module.files.append(relative_file)
        _add_document(module, base, directory, relative_file, load_file(file))
    return module


def _module_path(root: Path, directory: Path) -> str:
    relative = directory.relative_to(root).as_posix()
    return ROOT_MODULE if relative in ("", ".") else relative


def _add_document(module: Module, root: Path, directory: Path, file: str, document: dict) -> None:
    """Add the blocks of one parsed file to its module."""
    for mode, target in (("resource", module.resources), ("data", module.data_sources)):
        for block in _blocks(document, mode):
            for type_name, by_name in block.items():
                for name, body in by_name.items():
                    target.append(Resource(mode, type_name, name, module.path, file, _single(body) or {}))

    for block in _blocks(document, "variable"):
        for name, body in block.items():
            body = _single(body) or {}
            variable_type = body.get("type")
            module.variables[name] = Variable(
                name=name,
                file=file,
                type=unwrap_expression(variable_type) if isinstance(variable_type, str) else variable_type,
                description=body.get("description"),
                has_default="default" in body,
                default=body.get("default"),
                attributes=body,
            )

    for block in _blocks(document, "output"):
        for name, body in block.items():
            body = _single(body) or {}
            module.outputs[name] = Output(name, file, body.get("description"), body.get("value"),
                                          bool(body.get("sensitive", False)))

    for block in _blocks(document, "module"):
        for name, body in block.items():
            module.module_calls[name] = _module_call(root, directory, file, name, _single(body) or {})

    for block in _blocks(document, "provider"):
        for provider_name, body in block.items():
            body = _single(body) or {}
            alias = body.get("alias")
            key = f"{provider_name}.{alias}" if alias else provider_name
            module.providers[key] = body

    for block in _blocks(document, "locals"):
        module.locals.update(block)
    module.terraform.extend(_blocks(document, "terraform"))


def _module_call(root: Path, directory: Path, file: str, name: str, body: dict) -> ModuleCall:
    source = body.get("source", "")
    path = None
    # Only local sources name a folder of this configuration; registry and git sources do not.
    if isinstance(source, str) and source.startswith(("./", "../")):
        child = (directory / source).resolve()
        if child == root or root in child.parents:
            path = _module_path(root, child)
        else:
            log.warning("module %r in %s points outside %s: %s", name, file, root, source)

    providers = {}
    mapping = _single(body.get("providers", {}))
    if isinstance(mapping, dict):
        providers = {unwrap_expression(child): unwrap_expression(str(parent)) for child, parent in mapping.items()}

    meta_arguments = {"source", "version", "providers", "count", "for_each", "depends_on"}
    arguments = {key: value for key, value in body.items() if key not in meta_arguments}
    return ModuleCall(name, file, source, path, providers, arguments)


def parse_directory(path: str | Path) -> dict:
    """Parse every module folder under path and return them with the root module's summary.

    The result maps "root" to the resolved path, "modules" to {module path: Module} (the root is "."),
    "resources" to {resource type: [Resource]} over all modules, "outputs" to the root module's
    {name: description}, and "variables" to the root module's {name: Variable}.
    """
    root = Path(path).resolve()
    if not root.is_dir():
        raise TerraformParseError(f"{path}: directory not found")

    folders = sorted({file.parent for file in iter_tf_files(root)})
    modules = {}
    for folder in folders:
        module = parse_module(root, folder)
        modules[module.path] = module
    if ROOT_MODULE not in modules:
        raise TerraformParseError(f"{path}: no .tf file in the directory itself, so it is not a root module")

    resources: dict[str, list[Resource]] = {}
    for module in modules.values():
        for resource in module.resources:
            resources.setdefault(resource.type, []).append(resource)

    root_module = modules[ROOT_MODULE]
    log.info("parsed %d modules with %d resources under %s", len(modules),
             sum(len(group) for group in resources.values()), root)
    return {
        "root": str(root),
        "modules": modules,
        "resources": resources,
        "outputs": {name: output.description for name, output in root_module.outputs.items()},
        "variables": dict(root_module.variables),
    }


# --- Queries -------------------------------------------------------------------------------


def resource_types_by_module(config: dict) -> dict[str, list[str]]:
    """Return {module path: sorted resource types} for every module of a parsed configuration."""
    return {
        path: sorted({resource.type for resource in module.resources})
        for path, module in sorted(config["modules"].items())
    }


def module_outputs(config: dict, module_path: str = ROOT_MODULE) -> dict[str, str | None]:
    """Return {output name: description} of one module, with None for a missing description."""
    module = config["modules"][module_path]
    return {name: output.description for name, output in module.outputs.items()}


def callers(config: dict, module_path: str) -> list[tuple[Module, ModuleCall]]:
    """Return the (calling module, module call) pairs whose local source is module_path."""
    found = []
    for module in config["modules"].values():
        for call in module.module_calls.values():
            if call.path == module_path:
                found.append((module, call))
    return found


def root_provider_configurations(config: dict, module_path: str, provider: str) -> set[str]:
    """Return the root provider configurations, such as aws.backup, that a module's provider reference resolves to.

    A module block with a providers map passes only the listed configurations. Without one, the
    child inherits the caller's default (unaliased) configurations only. The result is empty for a
    module that the root module never reaches, such as a fixture that drills call on their own.
    """
    if module_path == ROOT_MODULE:
        return {provider}

    resolved = set()
    for parent, call in callers(config, module_path):
        if call.providers:
            parent_provider = call.providers.get(provider)
        elif "." not in provider:
            parent_provider = provider
        else:
            parent_provider = None
        if parent_provider is not None:
            resolved |= root_provider_configurations(config, parent.path, parent_provider)
    return resolved


def nested_blocks(body: dict, name: str) -> list[dict]:
    """Return the bodies of a nested block type, such as the default_tags blocks of a provider."""
    found = body.get(name, [])
    if isinstance(found, dict):
        return [found]
    if isinstance(found, list):
        return [item for item in found if isinstance(item, dict)]
    return []


def strings_in(value: Any) -> Iterator[str]:
    """Yield every string inside a normalized value, depth first."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def module_output_references(value: Any) -> set[tuple[str, str]]:
    """Return the (module call, output) pairs that an expression reads as module.<call>.<output>."""
    return {match.groups() for text in strings_in(value) for match in _MODULE_OUTPUT_REFERENCE.finditer(text)}


def variable_references(value: Any) -> set[str]:
    """Return the variable names that an expression reads as var.<name>."""
    return {match.group(1) for text in strings_in(value) for match in _VARIABLE_REFERENCE.finditer(text)}


def module_variable_references(module: Module) -> set[str]:
    """Return the variable names that any block of a module reads, validations included."""
    bodies: list[Any] = [resource.attributes for resource in module.resources + module.data_sources]
    bodies += [output.value for output in module.outputs.values()]
    bodies += [call.arguments for call in module.module_calls.values()]
    bodies += [variable.attributes for variable in module.variables.values()]
    bodies += list(module.providers.values())
    bodies.append(module.locals)
    return set().union(*(variable_references(body) for body in bodies))
