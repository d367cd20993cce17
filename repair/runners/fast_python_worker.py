"""A warm pytest worker: pytest, its plugins, the project's tests and modules are loaded once; each
request runs in a forked child, so nothing one candidate does reaches the next.

On its first request the worker configures pytest and collects the suite (the test modules and the
program modules they import are imported here, once). A request then forks a child that
- re-executes, in place, the project modules whose text changed (a candidate's texts sent in the
  request, or files changed on disk) and the modules that import them, in dependency order, so that
  every function the collected tests hold sees the candidate's code;
- runs the selected test items with pytest's own runtest protocol (fixtures, plugins, per-test
  timeouts and our report plugin, exactly as `pytest` would), optionally under coverage.py with one
  context per test, and stops at the first failure when asked.
Whatever the fast path cannot vouch for (a changed test module or conftest, a module that fails to
re-execute, a test the warm session did not collect, a session that could not be collected) runs
as a plain `pytest.main` in the child, from the files on disk; a candidate sent as texts is then
answered with `needs_disk`, and the client writes its files for that run.

It imports nothing from `repair`, so it works with any Python that has pytest. The worker is a child
subreaper (the `reaper` launcher's functions, loaded from the path given as its first argument):
whatever a test starts, in any session or process group, is killed as soon as the request's child ends.

Protocol: one JSON request per line on stdin:
  {"cwd", "args", "collect", "targets", "env", "sys_path", "timeout", "per_test_timeout", "fail_fast",
   "patched": {abs path: text}, "coverage": {"data_file", "omit"} | null}
one JSON reply per line on stdout ({"rc", "timed_out", "seconds", "mode", "needs_disk"}); {"ready": true} first.
"""

import ast
import contextlib
import gc
import importlib.util
import inspect
import json
import os
import signal
import sys
import time

sys.dont_write_bytecode = True  # a stale .pyc must never mask a candidate
# This script's folder must not shadow the project's modules (it holds e.g. report.py).
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import pytest  # noqa: E402  (warm: this import is most of pytest's start-up)

NEEDS_DISK = 97  # a child's exit code: the candidate's texts must be on disk for this run
_KEPT = ("__name__", "__file__", "__package__", "__spec__", "__loader__", "__path__", "__builtins__", "__cached__")


def _warm_plugins():
    """Import the installed pytest plugins now: loading them is most of a run's start-up."""
    from importlib.metadata import entry_points

    for entry in entry_points(group="pytest11"):
        # A broken plugin fails in the child exactly as it would in a plain run.
        with contextlib.suppress(Exception):
            entry.load()


_warm_plugins()


class _CollectErrors:
    """Remembers whether the warm session's collection failed anywhere."""

    def __init__(self):
        self.failed = False

    def pytest_collectreport(self, report):
        if report.failed:
            self.failed = True


class WarmSession:
    """pytest configured and the suite collected in this process; what each project module was loaded from."""

    def __init__(self, request):
        self.key = (request["cwd"], tuple(request["args"]), tuple(request.get("collect", [])))
        self.root = os.path.realpath(request["cwd"])
        self.config = None
        self.session = None
        self.items = []
        self.modules = {}  # module name -> (path, text it was executed from)
        self.stats = {}  # path -> (mtime, size) when it was read
        self.imports = {}  # module name -> project modules it imports
        self.test_modules = set()  # test modules and conftest files: collection depends on them
        self.usable = False
        try:
            self._open(request)
        except BaseException:  # noqa: BLE001 - no warm session: every request runs pytest.main
            self.usable = False
            for name, module in list(sys.modules.items()):
                if self._project_file(module) is not None:
                    self.modules.setdefault(name, (self._project_file(module), None))

    def _open(self, request):
        from _pytest.config import _prepareconfig
        from _pytest.main import Session

        errors = _CollectErrors()
        config = _prepareconfig([*request["args"], *request.get("collect", [])], plugins=[errors])
        plugin = _report_plugin()
        saved = plugin._PATH if plugin else ""
        if plugin:
            plugin._PATH = ""  # the warm collection writes no result line
        # A module that loops at import must not hang the worker: collection has half the request's time.
        signal.signal(signal.SIGALRM, _collection_timeout)
        signal.setitimer(signal.ITIMER_REAL, max(1.0, float(request.get("timeout", 60)) / 2))
        try:
            session = Session.from_config(config)
            config._do_configure()
            config.hook.pytest_sessionstart(session=session)
            config.hook.pytest_collection(session=session)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            if plugin:
                plugin._PATH = saved
        self.config, self.session, self.items = config, session, list(session.items)
        self.usable = not errors.failed and not session.testsfailed and bool(self.items)
        for name, module in list(sys.modules.items()):
            path = self._project_file(module)
            if path is not None:
                with contextlib.suppress(OSError):
                    with open(path, encoding="utf-8") as fh:
                        self.modules[name] = (path, fh.read())
                    self.stats[path] = _stat(path)
        for name, (_path, text) in self.modules.items():
            self.imports[name] = self._imports_of(name, text)
        # A failure's report reads source through `inspect.getmodule`, which maps every loaded module to its
        # file on first use (hundreds of realpath calls): done once here, every fork inherits the map.
        inspect.getmodule(_warm_plugins.__code__)
        with contextlib.suppress(OSError):
            inspect.findsource(_warm_plugins)  # and the patterns it compiles to find a function's source
        tested = {id(getattr(item, "module", None)) for item in self.items}
        self.test_modules = {name for name, (path, _) in self.modules.items()
                             if os.path.basename(path) == "conftest.py" or id(sys.modules.get(name)) in tested}

    def _project_file(self, module):
        path = getattr(module, "__file__", None)
        if not path or not path.endswith(".py"):
            return None
        path = os.path.realpath(path)
        if not path.startswith(self.root + os.sep):
            return None
        if "site-packages" in path.split(os.sep) or path.startswith(os.path.realpath(sys.prefix) + os.sep):
            return None
        return path

    def _imports_of(self, name, text):
        """The project modules that module `name` imports by name (statically)."""
        try:
            tree = ast.parse(text)
        except SyntaxError:
            return set()
        module = sys.modules.get(name)
        package = getattr(module, "__package__", None) or ""
        found = set()
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".") if package else []
                    parts = parts[:len(parts) - node.level + 1] if node.level > 1 else parts
                    base = ".".join([*parts, *([base] if base else [])])
                targets = [base, *(f"{base}.{alias.name}" if base else alias.name for alias in node.names)]
            for target in targets:
                parts = target.split(".")
                for i in range(1, len(parts) + 1):
                    prefix = ".".join(parts[:i])
                    if prefix in self.modules and prefix != name:
                        found.add(prefix)
        return found

    def changed(self, patched):
        """{module name: new text} of the project modules whose text differs from what was loaded;
        None when a patched file is no module this session loaded."""
        by_path = {path: name for name, (path, _) in self.modules.items()}
        out = {}
        sent = set()
        for path, text in patched.items():
            name = by_path.get(os.path.realpath(path))
            if name is None:
                return None
            sent.add(name)
            if text != self.modules[name][1]:
                out[name] = text
        for name, (path, text) in self.modules.items():
            if name in sent or _stat(path) == self.stats.get(path):
                continue
            try:
                with open(path, encoding="utf-8") as fh:
                    now = fh.read()
            except OSError:
                now = None
            if now != text:
                out[name] = now
        return out

    def affected(self, changed):
        """The changed modules and every module that imports one of them, dependencies first."""
        dependents = {name: set() for name in self.modules}
        for name, deps in self.imports.items():
            for dep in deps:
                dependents[dep].add(name)
        todo, seen = list(changed), set(changed)
        while todo:
            for user in dependents.get(todo.pop(), ()):
                if user not in seen:
                    seen.add(user)
                    todo.append(user)
        order, visiting = [], set()

        def visit(name):
            if name in order or name in visiting:
                return
            visiting.add(name)
            for dep in sorted(self.imports.get(name, ())):
                if dep in seen:
                    visit(dep)
            order.append(name)

        for name in sorted(seen):
            visit(name)
        return order

    def select(self, targets):
        """The collected items the targets name, in the targets' order; None when one names nothing."""
        if not targets:
            return list(self.items)
        chosen, taken = [], set()
        for target in targets:
            target = target[2:] if target.startswith("./") else target
            target = target.rstrip("/")
            hits = [item for item in self.items if item.nodeid == target or item.nodeid.startswith(
                (target + "::", target + "[")) or item.nodeid.split("::")[0].startswith(target + "/")]
            if not hits:
                return None
            for item in hits:
                if id(item) not in taken:
                    taken.add(id(item))
                    chosen.append(item)
        return chosen


def _stat(path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def _collection_timeout(signum, frame):
    raise TimeoutError("collection took too long")


def _report_plugin():
    return sys.modules.get("_repair_pytest_report")


def _reexec(name, text, clear):
    """Execute `text` in the module's own namespace (so that every function defined there, and every
    module that looked it up, sees the new definitions). A changed module starts from an empty
    namespace; a module that only imports a changed one is executed over its own, keeping pytest's
    assertion-rewriting helpers that its collected test functions use."""
    module = sys.modules[name]
    code = compile(text, module.__file__, "exec", dont_inherit=True)
    if clear:
        kept = {k: v for k, v in module.__dict__.items() if k in _KEPT}
        module.__dict__.clear()
        module.__dict__.update(kept)
    exec(code, module.__dict__)


def _fail_fast_stop(session, before):
    return session.testsfailed > before or session.shouldfail or session.shouldstop


def _child_warm(state, request, changed):
    """Run the selected items in this fork of the warm session; returns an exit code."""
    for name in state.affected(changed):
        if name in changed and name in state.test_modules:
            return None  # a changed test module or conftest: collection itself must run again
        try:
            _reexec(name, changed.get(name, state.modules[name][1]), clear=name in changed)
        except BaseException:  # noqa: BLE001 - the plain run reports it as pytest would
            return None
    items = state.select(request.get("targets") or [])
    if items is None:
        return None
    config, session = state.config, state.session
    if hasattr(config, "_env_timeout"):  # pytest-timeout's per-test limit, set per request
        config._env_timeout = float(request.get("per_test_timeout") or 0) or config._env_timeout
    cov = _start_coverage(request, state.root)
    before = session.testsfailed
    try:
        for i, item in enumerate(items):
            nextitem = items[i + 1] if i + 1 < len(items) else None
            if cov is not None:
                cov.switch_context(item.nodeid)
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
            if cov is not None:
                cov.switch_context("")
            if request.get("fail_fast") and _fail_fast_stop(session, before):
                break
    finally:
        if cov is not None:
            cov.stop()
            cov.save()
    return 1 if session.testsfailed > before else 0


def _start_coverage(request, root):
    options = request.get("coverage")
    if not options:
        return None
    import coverage

    cov = coverage.Coverage(data_file=options["data_file"], source=[root], branch=False, config_file=False,
                            omit=list(options.get("omit", [])))
    cov.start()
    return cov


def _child_plain(state, request):
    """pytest.main from the files on disk, with no project module of the warm session left imported."""
    if state is not None and state.config is not None:
        capture = state.config.pluginmanager.getplugin("capturemanager")
        if capture is not None:
            with contextlib.suppress(Exception):
                capture.stop_global_capturing()
        for name in state.modules:
            sys.modules.pop(name, None)
    targets = request.get("targets") or request.get("collect") or []
    args = [*request["args"], *(["-x"] if request.get("fail_fast") else []),
            f"--timeout={request.get('per_test_timeout') or 0:g}", *targets]
    if request.get("coverage"):
        args += ["-p", "_repair_fl_coverage", f"--repair-fl-data={request['coverage']['data_file']}"]
    return int(pytest.main(args))


def _child(state, matches, request):
    """One request in a fresh fork: the warm session when it `matches` the request, else pytest.main."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.environ.update(request.get("env", {}))
    plugin = _report_plugin()
    if plugin is not None:
        plugin._PATH = os.environ.get("REPAIR_PYTEST_REPORT", "")
        plugin._seen.clear()
    patched = request.get("patched") or {}
    code = None
    if matches and state.usable:
        changed = state.changed(patched)
        if changed is not None:
            code = _child_warm(state, request, changed)
    if code is None and patched:
        return NEEDS_DISK
    if code is None:
        code = _child_plain(state, request)
    return code


def _load_reaper(path):
    spec = importlib.util.spec_from_file_location("_repair_reaper", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Worker:
    """The parent: holds the warm session and forks one child per request."""

    def __init__(self, reaper, out):
        self.reaper = reaper
        self.out = out
        self.state = None

    def session_for(self, request):
        key = (request["cwd"], tuple(request["args"]), tuple(request.get("collect", [])))
        if self.state is None:
            os.chdir(request["cwd"])
            os.environ.update(request.get("env", {}))
            # As `python -m pytest` from the checkout root: the root first, then PYTHONPATH.
            sys.path[:0] = [request["cwd"], *request.get("sys_path", [])]
            self.state = WarmSession(request)
            # What is loaded now stays as it is in every fork: the collector need not walk it (and touch,
            # so copy, its memory pages) in each child.
            gc.freeze()
        return self.state if self.state.key == key else None

    def serve(self, request):
        start = time.monotonic()
        matches = self.session_for(request) is not None
        mode = "warm" if matches and self.state.usable else "plain"
        pid = os.fork()
        if pid == 0:
            code = 3
            try:
                code = _child(self.state, matches, request)
            finally:
                os._exit(code)
        deadline = start + float(request.get("timeout", 60))
        timed_out = False
        status = 0
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                timed_out = True
                os.kill(pid, signal.SIGKILL)
                _, status = os.waitpid(pid, 0)
                break
            time.sleep(0.001)
        rc = os.waitstatus_to_exitcode(status)
        self.reaper.kill_descendants()  # what the run left behind, in its own session or not
        self.out.write(json.dumps({"rc": rc, "timed_out": timed_out, "seconds": time.monotonic() - start,
                                   "mode": mode, "needs_disk": rc == NEEDS_DISK}) + "\n")
        self.out.flush()


def main():
    reaper = _load_reaper(sys.argv[1])
    reaper.become_subreaper()
    # pytest's capture redirects file descriptors 0-2 for the warm session's lifetime: the protocol keeps
    # copies of the real ones, and what tests and plugins print goes nowhere.
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    worker = Worker(reaper, out)
    for line in requests:
        if line.strip():
            worker.serve(json.loads(line))


if __name__ == "__main__":
    main()
