"""The algorithms seggap:analyze, seggap:check and seggap:compare."""
import json
import os
import re
import shlex

from qgis.core import (QgsProcessing, QgsProcessingAlgorithm, QgsProcessingException,
                       QgsProcessingOutputBoolean, QgsProcessingOutputFile, QgsProcessingOutputFolder,
                       QgsProcessingOutputHtml, QgsProcessingOutputNumber, QgsProcessingOutputString,
                       QgsProcessingParameterBoolean, QgsProcessingParameterDefinition,
                       QgsProcessingParameterEnum, QgsProcessingParameterField, QgsProcessingParameterFile,
                       QgsProcessingParameterFolderDestination, QgsProcessingParameterMultipleLayers,
                       QgsProcessingParameterNumber, QgsProcessingParameterString,
                       QgsProcessingParameterVectorLayer)

from . import help as helptext
from .runner import layer_source, load_layer, run_seggap

# Headline indices: output name -> key of summary.json's "indices".
HEADLINE = [
    ("DISSIMILARITY", "dissimilarity", "Dissimilarity D"),
    ("ISOLATION", "isolation", "Isolation"),
    ("EXPOSURE", "exposure", "Exposure"),
    ("GINI", "gini", "Gini"),
    ("ENTROPY", "entropy", "Entropy (Theil's H)"),
    ("ATKINSON_B05", "atkinson_b05", "Atkinson (b = 0.5)"),
    ("SPATIAL_DISSIMILARITY", "spatial_dissimilarity", "Spatial dissimilarity"),
    ("RELATIVE_CLUSTERING", "relative_clustering", "Relative clustering"),
    ("ABSOLUTE_CENTRALIZATION", "absolute_centralization", "Absolute centralisation"),
    ("DELTA", "delta", "Delta (concentration)"),
]
# The layers seggap writes, in the order they are stacked in the group (top first), with their names.
LAYERS = [
    ("services", "Services"),
    ("objective10", "Objective 10: housing"),
    ("objective5", "Objective 5: concentration and access"),
    ("districts", "Migrant share"),
]
SHARE_SCALES = ["fraction", "percent"]
OVERCROWDING_SCALES = ["fraction", "percent", "ratio"]


def _advanced(p):
    p.setFlags(p.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
    return p


def _list(text):
    """Comma-separated items (empty items kept as '')."""
    return [s.strip() for s in text.split(",")] if text and text.strip() else []


def _out_dir(alg, parameters, name, context):
    out = alg.parameterAsFileOutput(parameters, name, context)
    if not out:
        return ""
    if os.path.isfile(out):
        raise QgsProcessingException(f"the output folder {out} is a file")
    return out


class _Base(QgsProcessingAlgorithm):
    def group(self):
        return ""

    def groupId(self):  # noqa: N802
        return ""

    def createInstance(self):  # noqa: N802
        return type(self)()


class AnalyzeAlgorithm(_Base):
    def name(self):
        return "analyze"

    def displayName(self):  # noqa: N802
        return "Segregation indices and gap maps (analyze)"

    def shortHelpString(self):  # noqa: N802
        return helptext.ANALYZE

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterVectorLayer(
            "DISTRICTS", "Districts", [QgsProcessing.TypeVectorPolygon]))
        self.addParameter(QgsProcessingParameterField(
            "ID_FIELD", "District id field", parentLayerParameterName="DISTRICTS"))
        self.addParameter(QgsProcessingParameterField(
            "TOTAL_FIELD", "Total population field (in the districts or a census table)",
            parentLayerParameterName="DISTRICTS", type=QgsProcessingParameterField.Any))
        self.addParameter(QgsProcessingParameterField(
            "GROUP_FIELD", "Group count field (e.g. residents with a migration background)",
            parentLayerParameterName="DISTRICTS", optional=True))
        self.addParameter(QgsProcessingParameterField(
            "SHARE_FIELD", "Group share field (instead of a group count)",
            parentLayerParameterName="DISTRICTS", optional=True))
        self.addParameter(QgsProcessingParameterEnum(
            "SHARE_SCALE", "Scale of the group share", SHARE_SCALES, defaultValue=0))
        self.addParameter(QgsProcessingParameterField(
            "GROUPS", "Several group counts (multigroup indices)", parentLayerParameterName="DISTRICTS",
            allowMultiple=True, optional=True))
        self.addParameter(QgsProcessingParameterMultipleLayers(
            "TABLES", "Census tables joined on the district id", QgsProcessing.TypeVector, optional=True))
        self.addParameter(QgsProcessingParameterString(
            "TABLE_KEYS", "Key field of the census tables (one, or one per table, comma-separated)",
            optional=True))
        self.addParameter(QgsProcessingParameterMultipleLayers(
            "SERVICES", "Public services (point or polygon layers, one type each)",
            QgsProcessing.TypeVectorAnyGeometry, optional=True))
        self.addParameter(QgsProcessingParameterString(
            "SERVICE_TYPES", "Service type names, comma-separated (default: the layer names)", optional=True))
        self.addParameter(QgsProcessingParameterString(
            "SERVICE_CAPACITY", "Capacity field of each service layer, comma-separated (empty: each supplies 1)",
            optional=True))
        self.addParameter(QgsProcessingParameterString(
            "STANDARDS", "Access standards, e.g. 'school=1000m kita=500m' (as --standard)", optional=True))
        self.addParameter(QgsProcessingParameterVectorLayer(
            "HOUSING", "Social housing sites (points or polygons)", [QgsProcessing.TypeVectorAnyGeometry],
            optional=True))
        self.addParameter(QgsProcessingParameterField(
            "HOUSING_UNITS", "Dwellings field of the housing sites", parentLayerParameterName="HOUSING",
            type=QgsProcessingParameterField.Numeric, optional=True))
        self.addParameter(QgsProcessingParameterField(
            "OVERCROWDING_FIELD", "Overcrowding field of the districts", parentLayerParameterName="DISTRICTS",
            optional=True))
        self.addParameter(QgsProcessingParameterEnum(
            "OVERCROWDING_SCALE", "Scale of the overcrowding field", OVERCROWDING_SCALES, defaultValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            "PERMUTATIONS", "Permutations (p-values of the indices; 0: none)",
            QgsProcessingParameterNumber.Integer, defaultValue=0, minValue=0))
        self.addParameter(QgsProcessingParameterString("TITLE", "Title of the report and maps", optional=True))
        self.addParameter(_advanced(QgsProcessingParameterString(
            "EXTRA_ARGS", "Other options of seggap analyze (as on the command line)", optional=True)))
        self.addParameter(QgsProcessingParameterFolderDestination("OUTPUT_DIR", "Output folder"))
        self.addOutput(QgsProcessingOutputFile("SUMMARY", "summary.json"))
        self.addOutput(QgsProcessingOutputHtml("REPORT", "Report"))
        for name, _key, desc in HEADLINE:
            self.addOutput(QgsProcessingOutputNumber(name, desc))
        self.addOutput(QgsProcessingOutputNumber("DISSIMILARITY_P", "Dissimilarity: p-value"))

    def _args(self, parameters, context, feedback):
        districts = self.parameterAsVectorLayer(parameters, "DISTRICTS", context)
        if districts is None:
            raise QgsProcessingException("no districts layer")
        path, lname = layer_source(districts, context, feedback, "districts")
        args = ["analyze", "--districts", path] + (["--layer", lname] if lname else [])
        args += ["--id", self.parameterAsString(parameters, "ID_FIELD", context),
                 "--total", self.parameterAsString(parameters, "TOTAL_FIELD", context)]
        group = self.parameterAsString(parameters, "GROUP_FIELD", context)
        share = self.parameterAsString(parameters, "SHARE_FIELD", context)
        if group and share:
            raise QgsProcessingException("give the group as a count or as a share, not both")
        if group:
            args += ["--group", group]
        elif share:
            scale = SHARE_SCALES[self.parameterAsEnum(parameters, "SHARE_SCALE", context)]
            args += ["--group-share", share, "--share-scale", scale]
        groups = self.parameterAsFields(parameters, "GROUPS", context)
        if groups:
            args += ["--groups", ",".join(groups)]
        if not group and not share and not groups:
            raise QgsProcessingException("no group: give GROUP_FIELD, SHARE_FIELD or GROUPS")
        tables = self.parameterAsLayerList(parameters, "TABLES", context)
        keys = _list(self.parameterAsString(parameters, "TABLE_KEYS", context))
        if keys and len(keys) not in (1, len(tables)):
            raise QgsProcessingException(f"{len(keys)} table keys for {len(tables)} tables")
        for i, t in enumerate(tables):
            tpath, tname = layer_source(t, context, feedback, f"table{i + 1}")
            args += ["--table", tpath] + (["--table-layer", tname] if tname else [])
            key = keys[i] if len(keys) == len(tables) else (keys[0] if keys else "")
            if key:
                args += ["--table-key", key]
        services = self.parameterAsLayerList(parameters, "SERVICES", context)
        types = _list(self.parameterAsString(parameters, "SERVICE_TYPES", context))
        caps = _list(self.parameterAsString(parameters, "SERVICE_CAPACITY", context))
        if types and len(types) != len(services):
            raise QgsProcessingException(f"{len(types)} service type names for {len(services)} service layers")
        if caps and len(caps) != len(services):
            raise QgsProcessingException(f"{len(caps)} capacity fields for {len(services)} service layers")
        for i, s in enumerate(services):
            stype = types[i] if types else re.sub(r"[^A-Za-z0-9_]", "_", s.name()).strip("_").lower() or f"s{i + 1}"
            spath, sname = layer_source(s, context, feedback, stype)
            args += ["--service", f"{stype}={spath}"] + (["--service-layer", sname] if sname else [])
            if caps and caps[i]:
                args += ["--capacity", caps[i]]
        for std in (self.parameterAsString(parameters, "STANDARDS", context) or "").replace(",", " ").split():
            args += ["--standard", std]
        housing = self.parameterAsVectorLayer(parameters, "HOUSING", context)
        if housing is not None:
            hpath, hname = layer_source(housing, context, feedback, "housing")
            args += ["--housing", hpath] + (["--housing-layer", hname] if hname else [])
            units = self.parameterAsString(parameters, "HOUSING_UNITS", context)
            if units:
                args += ["--housing-units", units]
        over = self.parameterAsString(parameters, "OVERCROWDING_FIELD", context)
        if over:
            scale = OVERCROWDING_SCALES[self.parameterAsEnum(parameters, "OVERCROWDING_SCALE", context)]
            args += ["--overcrowding-field", over, "--overcrowding-scale", scale]
        perms = self.parameterAsInt(parameters, "PERMUTATIONS", context)
        if perms > 0:
            args += ["--permutations", str(perms)]
        title = self.parameterAsString(parameters, "TITLE", context)
        if title:
            args += ["--title", title]
        extra = self.parameterAsString(parameters, "EXTRA_ARGS", context)
        if extra:
            args += shlex.split(extra)
        return args, districts.name()

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        out = _out_dir(self, parameters, "OUTPUT_DIR", context)
        args, dname = self._args(parameters, context, feedback)
        run = run_seggap(args + ["--out", out], feedback)
        if run.cancelled:
            raise QgsProcessingException("cancelled: seggap stopped and wrote nothing")
        if run.exit_code != 0:
            raise QgsProcessingException(run.error_text())
        summary_path = os.path.join(out, "summary.json")
        with open(summary_path, encoding="utf-8") as f:
            summary = json.load(f)
        outputs = summary.get("outputs") or {}
        styles = {os.path.splitext(os.path.basename(s))[0]: s for s in outputs.get("styles") or []}
        self._to_load = [(outputs[key], name, styles.get(key)) for key, name in LAYERS if outputs.get(key)]
        title = self.parameterAsString(parameters, "TITLE", context)
        self._group_name = f"seggap: {title or dname}"
        indices = summary.get("indices") or {}
        results = {"OUTPUT_DIR": out, "SUMMARY": summary_path, "REPORT": outputs.get("report")}
        for name, key, _desc in HEADLINE:
            v = indices.get(key)
            results[name] = v.get("value") if isinstance(v, dict) else None
        d = indices.get("dissimilarity")
        results["DISSIMILARITY_P"] = d.get("p_value") if isinstance(d, dict) else None
        if results["DISSIMILARITY"] is not None:
            feedback.pushInfo(f"dissimilarity D = {results['DISSIMILARITY']:.4f}")
        return results

    def postProcessAlgorithm(self, context, feedback):  # noqa: N802
        """On the main thread: the written layers, with their styles, as one group of the project."""
        project = context.project()
        to_load = getattr(self, "_to_load", [])
        if project is None or not to_load:
            return {}
        root = project.layerTreeRoot()
        group = root.insertGroup(0, self._group_name)
        for path, name, qml in to_load:
            lyr = load_layer(path, name)
            if lyr is None:
                feedback.reportError(f"QGIS cannot open {path}", False)
                continue
            if qml and os.path.exists(qml):
                msg, ok = lyr.loadNamedStyle(qml)
                if not ok:
                    feedback.reportError(f"style {qml}: {msg}", False)
            project.addMapLayer(lyr, False)
            group.addLayer(lyr)
        return {}


class CheckAlgorithm(_Base):
    VERDICTS = {0: "pass", 1: "breach", 3: "invalid"}

    def name(self):
        return "check"

    def displayName(self):  # noqa: N802
        return "Check a new release (check)"

    def shortHelpString(self):  # noqa: N802
        return helptext.CHECK

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterFile(
            "CONFIG", "Check config (YAML)", fileFilter="YAML files (*.yaml *.yml)"))
        self.addParameter(QgsProcessingParameterVectorLayer(
            "RELEASE", "New release: districts (instead of the config's)", [QgsProcessing.TypeVectorPolygon],
            optional=True))
        self.addParameter(QgsProcessingParameterFile(
            "BASELINE", "Baseline run folder (instead of the config's)",
            behavior=QgsProcessingParameterFile.Folder, optional=True))
        self.addParameter(QgsProcessingParameterBoolean(
            "UPDATE_BASELINE", "Copy this run into the baseline when the check passes", defaultValue=False))
        self.addParameter(QgsProcessingParameterFolderDestination(
            "OUTPUT_DIR", "Output folder (instead of the config's out)", optional=True, createByDefault=False))
        self.addOutput(QgsProcessingOutputString("VERDICT", "Verdict (pass, breach, invalid)"))
        self.addOutput(QgsProcessingOutputBoolean("PASSED", "Passed"))
        self.addOutput(QgsProcessingOutputNumber("EXIT_CODE", "Exit code (0 pass, 1 breach, 3 invalid)"))
        self.addOutput(QgsProcessingOutputFile("CHECK_JSON", "check.json"))
        self.addOutput(QgsProcessingOutputFolder("OUTPUT_DIR", "Output folder"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        args = ["check", "--config", self.parameterAsFile(parameters, "CONFIG", context), "--json"]
        release = self.parameterAsVectorLayer(parameters, "RELEASE", context)
        if release is not None:
            path, lname = layer_source(release, context, feedback, "districts")
            args += ["--districts", path] + (["--layer", lname] if lname else [])
        baseline = self.parameterAsFile(parameters, "BASELINE", context)
        if baseline:
            args += ["--baseline", baseline]
        if self.parameterAsBoolean(parameters, "UPDATE_BASELINE", context):
            args += ["--update-baseline"]
        out = _out_dir(self, parameters, "OUTPUT_DIR", context)
        if out:
            args += ["--out", out]
        run = run_seggap(args, feedback)
        if run.cancelled:
            raise QgsProcessingException("cancelled: seggap stopped and wrote nothing")
        if run.exit_code not in self.VERDICTS:
            raise QgsProcessingException(run.error_text())
        try:
            check = json.loads(run.stdout)
        except ValueError:
            check = {}
        paths = check.get("outputs") or {}
        verdict = check.get("verdict") or self.VERDICTS[run.exit_code]
        feedback.pushInfo(f"check: {verdict}")
        return {"VERDICT": verdict, "PASSED": run.exit_code == 0, "EXIT_CODE": run.exit_code,
                "CHECK_JSON": paths.get("check"),
                "OUTPUT_DIR": os.path.dirname(paths["check"]) if paths.get("check") else out}


COMPARE_NULLS = ["person", "random_label"]


class CompareAlgorithm(_Base):
    def name(self):
        return "compare"

    def displayName(self):  # noqa: N802
        return "Compare two runs (compare)"

    def shortHelpString(self):  # noqa: N802
        return helptext.COMPARE

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterFile(
            "BASELINE", "Baseline run (output folder of analyze)", behavior=QgsProcessingParameterFile.Folder))
        self.addParameter(QgsProcessingParameterFile(
            "CURRENT", "Current run (output folder of analyze)", behavior=QgsProcessingParameterFile.Folder))
        self.addParameter(QgsProcessingParameterNumber(
            "PERMUTATIONS", "Permutations of the change tests (0: seggap's default)",
            QgsProcessingParameterNumber.Integer, defaultValue=0, minValue=0))
        self.addParameter(QgsProcessingParameterEnum(
            "NULL", "Null of the change tests (random_label: ids need not match)", COMPARE_NULLS, defaultValue=0))
        self.addParameter(QgsProcessingParameterFolderDestination(
            "OUTPUT_DIR", "Output folder (default: the current run's)", optional=True, createByDefault=False))
        self.addOutput(QgsProcessingOutputFile("COMPARE_JSON", "compare.json"))
        self.addOutput(QgsProcessingOutputNumber("DISSIMILARITY_CHANGE", "Change in dissimilarity"))
        self.addOutput(QgsProcessingOutputNumber("ISOLATION_CHANGE", "Change in isolation"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        current = self.parameterAsFile(parameters, "CURRENT", context)
        args = ["compare", self.parameterAsFile(parameters, "BASELINE", context), current, "--json"]
        perms = self.parameterAsInt(parameters, "PERMUTATIONS", context)
        if perms > 0:
            args += ["--permutations", str(perms)]
        null = COMPARE_NULLS[self.parameterAsEnum(parameters, "NULL", context)]
        if null != "person":
            args += ["--null", null]
        out = _out_dir(self, parameters, "OUTPUT_DIR", context)
        if out:
            args += ["--out", out]
        run = run_seggap(args, feedback, json_progress=False)  # compare has no progress: its lines as they are
        if run.exit_code != 0:
            raise QgsProcessingException(f"seggap compare failed (exit {run.exit_code}); see the log")
        cmp = json.loads(run.stdout)
        ind = cmp.get("indices") or {}

        def change(key):
            v = ind.get(key)
            return v.get("difference") if isinstance(v, dict) else None

        base = out or (current if os.path.isdir(current) else os.path.dirname(current))
        return {"COMPARE_JSON": os.path.join(base, "compare.json"),
                "DISSIMILARITY_CHANGE": change("dissimilarity"), "ISOLATION_CHANGE": change("isolation")}
