import importlib
import json
from pathlib import Path

from fastapi import FastAPI, HTTPException

SERVICES = Path(__file__).with_name("services.json")


def load_services():
    names = json.loads(SERVICES.read_text())["services"]
    return {name: importlib.import_module(f"app.services.{name}") for name in names}


def create_app():
    services = load_services()
    api = FastAPI()

    @api.get("/health")
    def health():
        return {"ok": True, "services": sorted(services)}

    @api.get("/run/{name}/{text}")
    def run(name: str, text: str):
        if name not in services:
            raise HTTPException(404, f"no service {name}")
        return {"result": services[name].apply(text)}

    return api
