"""Compiled templates kept across processes: compiling the three digest templates costs a
fresh process more than everything else in a preview."""

from __future__ import annotations

import hashlib
import logging

import jinja2

from manageup import __version__
from manageup.cache import private_dir

log = logging.getLogger(__name__)


class _SafeBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's own would let a truncated file or a full disk fail the render."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception as e:  # whatever the corruption, compile again
            log.debug("ignoring a broken compiled template: %s", e)
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError as e:
            log.debug("could not save a compiled template: %s", e)


def template_cache(env: jinja2.Environment) -> jinja2.BytecodeCache | None:
    """Jinja keys a bucket by template name and file path and checks it against the SHA-1
    of the template's source, so an edited user template is compiled again. The folder's
    name carries what else the compiled code depends on: Python's version is in Jinja's
    own header; Jinja's and manageup's versions and the environment's options are here."""
    auto = env.autoescape
    opts = (jinja2.__version__, __version__, env.trim_blocks, env.lstrip_blocks,
            env.keep_trailing_newline, env.newline_sequence, env.optimized,
            sorted(env.extensions), env.undefined.__name__, env.block_start_string,
            env.variable_start_string, env.comment_start_string,
            [auto(n) if callable(auto) else auto for n in ("a.html.j2", "a.txt.j2", None)])
    tag = hashlib.sha256(repr(opts).encode()).hexdigest()[:16]
    folder = private_dir(f"templates-{tag}")
    return None if folder is None else _SafeBytecodeCache(str(folder))
