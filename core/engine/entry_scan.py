# What `freezer init` needs to know about a sidecar's entry script, read from its syntax
# tree (never run): is it a server, on which port, with which routes; or a command line
# tool, with which parser. Prints one JSON object. Run as `python -I -c <this> FILE`.
# Works on Python 3.8 and newer; only the standard library.
import ast
import json
import sys

SERVER_MODULES = {"uvicorn", "flask", "aiohttp", "fastapi", "http.server", "hypercorn",
                  "waitress", "starlette", "sanic", "socketserver", "tornado", "bottle"}
CLI_MODULES = {"argparse", "click", "typer"}
# Where a framework listens when its run call names no port.
DEFAULT_PORTS = {"uvicorn": 8000, "flask": 5000, "aiohttp": 8080, "bottle": 8080}


def dotted(node):
    """'uvicorn.run' for the expression uvicorn.run, else ''."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def const(node):
    if isinstance(node, ast.Constant):
        return node.value
    return None


def main(path):
    with open(path, "rb") as f:
        source = f.read()
    try:
        tree = ast.parse(source, path)
    except SyntaxError as e:
        print(json.dumps({"error": "syntax error at line %s: %s" % (e.lineno, e.msg)}))
        return
    out = {"imports": [], "server": "", "framework": "", "cli": "", "main_block": False,
           "port": None, "env_port": None, "arg_port": None, "routes": [], "run_call": None}
    imports = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                imports.add(a.name)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imports.add(node.module)
            for a in node.names:
                imports.add(node.module + "." + a.name)
    out["imports"] = sorted({i.split(".")[0] for i in imports})
    for m in sorted(SERVER_MODULES):
        if m in imports:
            out["server"] = "imports " + m
            break
    for fw in ("fastapi", "flask", "aiohttp", "starlette", "sanic", "bottle", "http.server"):
        if fw in imports:
            out["framework"] = fw
            break
    for m in ("typer", "click", "argparse"):
        if m in imports:
            out["cli"] = m
            break

    for node in ast.walk(tree):
        # if __name__ == "__main__":
        if isinstance(node, ast.If) and isinstance(node.test, ast.Compare):
            t = node.test
            names = [t.left] + list(t.comparators)
            if any(isinstance(n, ast.Name) and n.id == "__name__" for n in names) and \
                    any(const(n) == "__main__" for n in names):
                out["main_block"] = True
        # Decorated routes: @app.get("/x"), @app.route("/x", methods=[...]), @router.get.
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for d in node.decorator_list:
                if not isinstance(d, ast.Call) or not isinstance(d.func, ast.Attribute):
                    continue
                method = d.func.attr
                if method not in ("get", "route", "api_route") or not d.args:
                    continue
                route = const(d.args[0])
                if not isinstance(route, str):
                    continue
                if method != "get":
                    methods = [const(e) for kw in d.keywords if kw.arg == "methods"
                               and isinstance(kw.value, (ast.List, ast.Tuple)) for e in kw.value.elts]
                    if methods and "GET" not in [str(m).upper() for m in methods]:
                        continue
                out["routes"].append({"path": route, "line": d.lineno})
        if not isinstance(node, ast.Call):
            continue
        name = dotted(node.func)
        last = name.rsplit(".", 1)[-1]
        # aiohttp: app.router.add_get("/x", handler)
        if last == "add_get" and node.args and isinstance(const(node.args[0]), str):
            out["routes"].append({"path": const(node.args[0]), "line": node.lineno})
        # A server started with a fixed port: uvicorn.run(app, port=8008), app.run(port=5000),
        # web.run_app(app, port=8080), serve(app, port=8000).
        if last in ("run", "run_app", "serve") and out["server"]:
            port_kw = [kw for kw in node.keywords if kw.arg == "port"]
            if out["run_call"] is None:
                out["run_call"] = {"call": name, "line": node.lineno}
            if port_kw:
                v = port_kw[0].value
                # A constant; anything else (int(os.environ["PORT"])) is found below.
                if isinstance(const(v), int):
                    out["port"] = {"value": const(v), "line": node.lineno, "call": name}
            elif out["port"] is None and out["framework"] != "http.server":
                default = next((DEFAULT_PORTS[m] for m in ("uvicorn", "flask", "aiohttp", "bottle")
                                if m in imports and (m in name or m == out["framework"])), None)
                if default and not node.args[1:]:
                    out["port"] = {"value": default, "line": node.lineno, "call": name, "default": True}
        # HTTPServer(("", 8000), Handler), socketserver.TCPServer(("", 8000), ...)
        if last.endswith("Server") and node.args and isinstance(node.args[0], ast.Tuple) and \
                len(node.args[0].elts) == 2 and isinstance(const(node.args[0].elts[1]), int):
            out["port"] = {"value": const(node.args[0].elts[1]), "line": node.lineno, "call": name}
            out["server"] = out["server"] or "calls " + name
        if last == "serve_forever" and not out["server"]:
            out["server"] = "calls serve_forever()"
        # The port from the environment: os.environ["PORT"], os.environ.get("PORT"), os.getenv("PORT").
        if name in ("os.getenv", "os.environ.get", "getenv", "environ.get") and node.args:
            key = const(node.args[0])
            if isinstance(key, str) and "PORT" in key.upper() and out["env_port"] is None:
                out["env_port"] = {"name": key, "line": node.lineno}
        # argparse: parser.add_argument("--port", ...); click: @click.option("--port")
        if last in ("add_argument", "option") and node.args:
            if any(const(a) == "--port" for a in node.args):
                out["arg_port"] = {"flag": "--port", "line": node.lineno}
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and dotted(node.value) in ("os.environ", "environ"):
            key = node.slice.value if hasattr(ast, "Index") and isinstance(node.slice, ast.Index) else node.slice
            key = const(key)
            if isinstance(key, str) and "PORT" in key.upper() and out["env_port"] is None:
                out["env_port"] = {"name": key, "line": node.lineno}
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
