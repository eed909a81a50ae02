"""Running the seggap binary for a Processing algorithm.

The binary: SEGGAP_BIN, else the provider setting, else `seggap` on PATH.
It runs with `--progress json` (README "Progress"): every stderr line is one
JSON object, progress goes to the feedback's bar and text, each warning and
error to the log with its code as it arises. The cancel button sends SIGINT:
seggap stops at its next safe point and removes its partial outputs (exit
130); the run is awaited, never left behind.
"""
import json
import os
import queue
import shlex
import shutil
import signal
import subprocess
import threading
import time
import uuid

from qgis.core import (QgsProcessingException, QgsProcessingUtils, QgsVectorFileWriter,
                       QgsVectorLayer)
from qgis.PyQt.QtCore import QUrl

SETTING_BIN = "SEGGAP_BIN"
CANCEL_GRACE_S = 30  # after SIGINT; then SIGTERM (seggap's second signal ends it)


def find_binary():
    """The seggap binary to run, or a QgsProcessingException saying where it was looked for."""
    env = os.environ.get("SEGGAP_BIN")
    if env:
        if not os.access(env, os.X_OK):
            raise QgsProcessingException(f"SEGGAP_BIN is '{env}', which is not an executable file")
        return env
    try:
        from processing.core.ProcessingConfig import ProcessingConfig
        configured = ProcessingConfig.getSetting(SETTING_BIN)
    except (ImportError, KeyError, AttributeError):
        configured = None
    if configured:
        if not os.access(configured, os.X_OK):
            raise QgsProcessingException(
                f"the seggap provider setting names '{configured}', which is not an executable file")
        return configured
    found = shutil.which("seggap")
    if found:
        return found
    raise QgsProcessingException(
        "the seggap binary was not found: set the SEGGAP_BIN environment variable, or the path in "
        "Settings > Options > Processing > Providers > seggap, or put seggap on PATH")


class Run:
    """What a run left: its exit code, the diagnostics (dicts from the JSON
    lines), the front end's messages, stdout, and whether it was cancelled."""

    def __init__(self):
        self.exit_code = None
        self.errors = []
        self.warnings = []
        self.messages = []
        self.stdout = ""
        self.cancelled = False

    def error_text(self):
        """The errors as one message: each with its code."""
        lines = [f"{e.get('message', '')} [{e.get('code', '')}]" for e in self.errors]
        lines += [m.get("message", "") for m in self.messages if m.get("level") == "error"]
        return "\n".join(lines) if lines else f"seggap exited with code {self.exit_code}"


def _pump(stream, sink):
    for line in iter(stream.readline, ""):
        sink.put(line)
    sink.put(None)


def _report(obj, feedback, run):
    kind = obj.get("type")
    if kind == "progress":
        feedback.setProgress(100.0 * float(obj.get("fraction", 0)))
        stage = obj.get("stage", "")
        if hasattr(feedback, "setProgressText"):
            feedback.setProgressText(f"seggap: {stage}")
    elif kind == "warning":
        run.warnings.append(obj)
        text = f"warning [{obj.get('code', '')}]: {obj.get('message', '')}"
        if hasattr(feedback, "pushWarning"):
            feedback.pushWarning(text)
        else:
            feedback.reportError(text, False)
    elif kind == "error":
        run.errors.append(obj)
        feedback.reportError(f"error [{obj.get('code', '')}]: {obj.get('message', '')}", False)
    elif kind == "message":
        run.messages.append(obj)
        if obj.get("level") == "error":
            feedback.reportError(obj.get("message", ""), False)
        else:
            feedback.pushInfo(obj.get("message", ""))
    elif kind == "hint":
        feedback.pushInfo(f"hint [{obj.get('code', '')}]: {obj.get('hint', '')}")
    elif kind == "done":
        run.exit_code = int(obj.get("exit", -1))


def run_seggap(args, feedback, json_progress=True):
    """Runs seggap with args (plus --progress json when json_progress) and
    streams its stderr into feedback; returns a Run once the process ended.
    stdout is kept (--json output)."""
    binary = find_binary()
    cmd = [binary] + list(args) + (["--progress", "json"] if json_progress else [])
    feedback.pushCommandInfo(" ".join(shlex.quote(a) for a in cmd))
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, encoding="utf-8", errors="replace", start_new_session=True)
    except OSError as e:
        raise QgsProcessingException(f"cannot start {binary}: {e}")
    lines, out = queue.Queue(), []
    t_err = threading.Thread(target=_pump, args=(proc.stderr, lines), daemon=True)
    t_out = threading.Thread(target=lambda: out.append(proc.stdout.read()), daemon=True)
    t_err.start()
    t_out.start()
    run = Run()
    sigint_at = None
    while True:
        if feedback.isCanceled() and sigint_at is None:
            feedback.pushInfo("cancelling: seggap stops at its next safe point and removes its partial outputs")
            proc.send_signal(signal.SIGINT)
            sigint_at = time.monotonic()
            run.cancelled = True
        if sigint_at is not None and proc.poll() is None and time.monotonic() - sigint_at > CANCEL_GRACE_S:
            proc.terminate()
            sigint_at = float("inf")
        try:
            line = lines.get(timeout=0.1)
        except queue.Empty:
            continue
        if line is None:
            break
        line = line.rstrip("\n")
        if not line:
            continue
        try:
            obj = json.loads(line) if json_progress else None
        except ValueError:
            obj = None
        if isinstance(obj, dict):
            _report(obj, feedback, run)
        else:
            feedback.pushConsoleInfo(line)
    code = proc.wait()
    t_out.join()
    t_err.join()
    proc.stdout.close()
    proc.stderr.close()
    run.stdout = out[0] if out else ""
    run.exit_code = code
    run.cancelled = run.cancelled and code != 0
    return run


def _ogr_path(layer):
    """(path, layer name or None) when layer reads a file OGR can open as is, else None."""
    if layer.subsetString():
        return None  # a filter seggap would not see
    prov = layer.dataProvider().name()
    if prov == "ogr":
        parts = layer.source().split("|")
        path, name = parts[0], None
        for p in parts[1:]:
            if p.startswith("layername="):
                name = p[len("layername="):]
            elif p.startswith("layerid=") and p != "layerid=0":
                return None
            elif not p.startswith("layerid="):
                return None  # geometrytype=, subset= ...: export
        return (path, name) if os.path.exists(path) else None
    if prov == "delimitedtext":  # a CSV as is: its text keys keep their leading zeros
        url = QUrl(layer.source())
        path = url.toLocalFile()
        return (path, None) if path and os.path.isfile(path) else None
    return None


def layer_source(layer, context, feedback, what):
    """(path, layer name or None) for seggap to read layer: its file when it
    is one, else (a memory, database or filtered layer) a temporary
    GeoPackage it is exported to."""
    direct = _ogr_path(layer)
    if direct:
        return direct
    out = os.path.join(QgsProcessingUtils.tempFolder(), f"seggap_{what}_{uuid.uuid4().hex[:8]}.gpkg")
    opts = QgsVectorFileWriter.SaveVectorOptions()
    opts.driverName = "GPKG"
    opts.layerName = what
    opts.fileEncoding = "UTF-8"
    opts.forceMulti = True  # a layer of polygons and multipolygons: one GeoPackage geometry type
    write = getattr(QgsVectorFileWriter, "writeAsVectorFormatV3", None) or QgsVectorFileWriter.writeAsVectorFormatV2
    res = write(layer, out, context.transformContext(), opts)
    err = res[0] if isinstance(res, tuple) else res
    if err != QgsVectorFileWriter.NoError:
        msg = res[1] if isinstance(res, tuple) and len(res) > 1 else ""
        raise QgsProcessingException(f"cannot export layer '{layer.name()}' for seggap: {msg}")
    feedback.pushInfo(f"layer '{layer.name()}' ({layer.dataProvider().name()}) exported to {out}")
    return out, what


def load_layer(path, name):
    lyr = QgsVectorLayer(path, name, "ogr")
    return lyr if lyr.isValid() else None
