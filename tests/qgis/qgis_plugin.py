#!/usr/bin/env python3
"""Issue 19: the QGIS Processing plugin (tools/qgis/seggap), headless.

Starts QgsApplication, initialises Processing, loads the plugin from the
checkout (classFactory(None).initProcessing()), and runs
- seggap:analyze on the sample (census table, a service layer, housing):
  every written layer in the project, in one group, valid, with the
  renderer of its .qml; the headline indices as numbers;
- seggap:analyze on ../shared/reference/sacramento_hisp_2000.gpkg layer
  units_projected, as a file and as a memory layer (exported to a temporary
  GeoPackage): dissimilarity within the reference's tolerance;
- a run cancelled at its first progress report: a QgsProcessingException,
  no output folder, no staging folder, no seggap process left;
- a misspelled group field: a QgsProcessingException naming the field;
- seggap:check on samples/check/check.yaml and seggap:compare once each.
Exit 77 (skipped) when PyQGIS is missing and CI is unset; a failure under CI.
    qgis_plugin.py SEGGAP_CLI SAMPLES_DIR PLUGIN_PARENT_DIR SHARED_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import (QgsApplication, QgsFeatureRequest, QgsProcessingException,
                           QgsProcessingFeedback, QgsProject, QgsVectorLayer)
except ImportError:
    if os.environ.get("CI"):
        print("FAIL: PyQGIS is missing under CI")
        sys.exit(1)
    print("SKIP: no PyQGIS")
    sys.exit(77)

cli, samples, plugin_parent, shared = sys.argv[1:5]
os.environ["SEGGAP_BIN"] = cli
city = os.path.join(samples, "city")
sac = os.path.join(shared, "reference", "sacramento_hisp_2000.gpkg")
sac_ref = os.path.join(shared, "reference", "sacramento_hisp_2000.json")

app = QgsApplication([], False)
app.initQgis()
sys.path.insert(0, "/usr/share/qgis/python/plugins")  # Processing (python3-qgis-common)
sys.path.insert(0, plugin_parent)
from processing.core.Processing import Processing  # noqa: E402
Processing.initialize()
import processing  # noqa: E402
import seggap as seggap_plugin  # noqa: E402  (tools/qgis/seggap)

assert os.path.dirname(os.path.abspath(seggap_plugin.__file__)) == os.path.join(os.path.abspath(plugin_parent),
                                                                                "seggap"), seggap_plugin.__file__
plugin = seggap_plugin.classFactory(None)  # headless: no iface
plugin.initProcessing()
reg = QgsApplication.processingRegistry()
assert reg.providerById("seggap") is not None, "no provider 'seggap'"
for a in ("analyze", "check", "compare"):
    alg = reg.algorithmById("seggap:" + a)
    assert alg is not None, a
    assert len(alg.shortHelpString()) > 300, a
assert "concentrated_underserved" in reg.algorithmById("seggap:analyze").shortHelpString()

project = QgsProject.instance()


def group_layers(name):
    g = project.layerTreeRoot().findGroup(name)
    assert g is not None, (name, [c.name() for c in project.layerTreeRoot().children()])
    return [n.layer() for n in g.findLayers()]


def check_layers(name, expect):
    layers = group_layers(name)
    names = [l.name() for l in layers]
    assert len(layers) == len(expect), names
    for lyr, (lname, renderer) in zip(layers, expect):
        assert lyr.name() == lname, (lyr.name(), lname)
        assert project.mapLayer(lyr.id()) is lyr, lname  # in the project, not only in the tree
        assert lyr.isValid() and lyr.featureCount() > 0, lname
        assert lyr.renderer() is not None and lyr.renderer().type() == renderer, (lname, lyr.renderer().type())


def sac_reference():
    with open(sac_ref, encoding="utf-8") as f:
        d = json.load(f)["sacramento_hisp_2000"]["indices"]["dissimilarity"]
    return d["value"], d["tol"]


with tempfile.TemporaryDirectory() as tmp:
    # 1. The sample: a census table, one service layer, housing.
    out = os.path.join(tmp, "sample")
    res = processing.run("seggap:analyze", {
        "DISTRICTS": os.path.join(city, "districts.shp"), "ID_FIELD": "code", "TOTAL_FIELD": "total",
        "GROUP_FIELD": "migrants", "TABLES": [os.path.join(city, "census.csv")], "TABLE_KEYS": "code",
        "SERVICES": [os.path.join(city, "services.gpkg") + "|layername=school"], "SERVICE_TYPES": "school",
        "SERVICE_CAPACITY": "capacity",
        "HOUSING": os.path.join(city, "housing.gpkg") + "|layername=social_housing", "HOUSING_UNITS": "units",
        "OVERCROWDING_FIELD": "overcrowding_rate", "OVERCROWDING_SCALE": 0,
        "PERMUTATIONS": 9, "TITLE": "Sample city", "OUTPUT_DIR": out})
    with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
        summary = json.load(f)
    assert res["OUTPUT_DIR"] == out and res["SUMMARY"] == os.path.join(out, "summary.json"), res
    assert os.path.isfile(res["REPORT"]), res["REPORT"]
    for key in ("dissimilarity", "isolation", "exposure", "gini"):
        assert res[key.upper()] == summary["indices"][key]["value"], (key, res[key.upper()])
    assert 0 < res["DISSIMILARITY_P"] <= 1
    check_layers("seggap: Sample city", [("Services", "categorizedSymbol"),
                                         ("Objective 10: housing", "categorizedSymbol"),
                                         ("Objective 5: concentration and access", "categorizedSymbol"),
                                         ("Migrant share", "graduatedSymbol")])
    print("OK: sample, D =", res["DISSIMILARITY"])

    # 2. Sacramento from a GeoPackage layer, and the same as a memory layer.
    if not os.path.exists(sac_ref):
        if os.environ.get("CI"):
            raise AssertionError(f"shared data missing in CI: {sac_ref}")
        print(f"SKIP (part): shared data missing: {sac_ref}")
    ref, tol = sac_reference() if os.path.exists(sac_ref) else (None, None)
    src = sac + "|layername=units_projected"
    mem = QgsVectorLayer(src, "units_projected", "ogr").materialize(QgsFeatureRequest()) if ref else None
    if mem is not None:
        mem.setName("sacramento_memory")
        assert mem.dataProvider().name() == "memory"
    for i, districts in enumerate((src, mem) if ref is not None else ()):
        o = os.path.join(tmp, f"sac{i}")
        r = processing.run("seggap:analyze", {
            "DISTRICTS": districts, "ID_FIELD": "id", "TOTAL_FIELD": "total_pop", "GROUP_FIELD": "group_pop",
            "EXTRA_ARGS": "--work-crs EPSG:32610 --layers districts,objective5", "OUTPUT_DIR": o})
        assert abs(r["DISSIMILARITY"] - ref) <= tol * abs(ref), (i, r["DISSIMILARITY"], ref)
        print("OK: Sacramento", "memory layer" if i else "GeoPackage", "D =", r["DISSIMILARITY"], "ref", ref)
    if ref is not None:
        check_layers("seggap: sacramento_memory", [("Objective 5: concentration and access", "categorizedSymbol"),
                                                   ("Migrant share", "graduatedSymbol")])

    # 3. Cancelled at the first progress report: an error, nothing left.
    class CancelAtFirst(QgsProcessingFeedback):
        def __init__(self):
            super().__init__()
            self.reports = 0

        def setProgress(self, p):  # noqa: N802
            super().setProgress(p)
            self.reports += 1
            self.cancel()

    fb = CancelAtFirst()
    cout = os.path.join(tmp, "cancelled")
    try:
        processing.run("seggap:analyze", {
            "DISTRICTS": os.path.join(city, "districts.shp"), "ID_FIELD": "code", "TOTAL_FIELD": "total",
            "GROUP_FIELD": "migrants", "TABLES": [os.path.join(city, "census.csv")], "TABLE_KEYS": "code",
            "PERMUTATIONS": 9999, "OUTPUT_DIR": cout}, feedback=fb)
        raise AssertionError("the cancelled run did not fail")
    except QgsProcessingException as e:
        assert "cancelled" in str(e), str(e)
    assert fb.reports >= 1
    assert not os.path.exists(cout), os.listdir(cout)
    assert not [n for n in os.listdir(tmp) if n.startswith("cancelled")], os.listdir(tmp)  # no staging folder
    ps = subprocess.run(["pgrep", "-f", cout], capture_output=True, text=True).stdout.split()
    assert not ps, ps
    print("OK: cancelled, nothing written")

    # 4. A field that is not there: a Processing error naming it.
    try:
        processing.run("seggap:analyze", {
            "DISTRICTS": os.path.join(city, "districts.shp"), "ID_FIELD": "code", "TOTAL_FIELD": "total",
            "GROUP_FIELD": "migrantz", "TABLES": [os.path.join(city, "census.csv")], "TABLE_KEYS": "code",
            "OUTPUT_DIR": os.path.join(tmp, "bad")})
        raise AssertionError("a missing field did not fail")
    except QgsProcessingException as e:
        assert "'migrantz'" in str(e) and "E_MISSING_FIELD" in str(e), str(e)
    assert not os.path.exists(os.path.join(tmp, "bad"))
    print("OK: missing field named")

    # 5. check and compare, once each.
    r = processing.run("seggap:check", {"CONFIG": os.path.join(samples, "check", "check.yaml"),
                                        "OUTPUT_DIR": os.path.join(tmp, "check")})
    assert r["VERDICT"] == "pass" and r["PASSED"] and r["EXIT_CODE"] == 0, r
    assert os.path.isfile(r["CHECK_JSON"]), r
    print("OK: check", r["VERDICT"])
    r = processing.run("seggap:compare", {"BASELINE": os.path.join(samples, "check", "baseline"),
                                          "CURRENT": os.path.join(tmp, "check"),
                                          "OUTPUT_DIR": os.path.join(tmp, "compare")})
    assert os.path.isfile(r["COMPARE_JSON"]), r
    assert abs(r["DISSIMILARITY_CHANGE"]) < 1e-12, r  # the same release as the baseline
    print("OK: compare, change in D =", r["DISSIMILARITY_CHANGE"])
    project.clear()
app.exitQgis()
print("OK: plugin")
