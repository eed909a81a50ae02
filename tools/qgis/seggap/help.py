"""Help texts of the algorithms (the Processing dialog's help panel)."""

ANALYZE = """
<p>Runs <b>seggap analyze</b>: segregation indices of a group (for example residents with a migration
background) over a layer of districts, the district layers for objective 5 (concentration and access to
services) and objective 10 (housing), a report and a QGIS project. The layers are loaded into the project
as a layer group, with their styles.</p>

<h3>Inputs</h3>
<ul>
<li><b>Districts</b>: polygons with a unique id. Any layer QGIS has: a file is read as it is; a memory,
database or filtered layer is first exported to a temporary GeoPackage.</li>
<li><b>Total</b> and <b>Group</b>: population counts per district (in the layer or in a census table).
Instead of a group count, a <b>group share</b> with its scale (fraction 0..1 or percent 0..100).
<b>Groups</b>: several group counts (e.g. origins) for the multigroup indices.</li>
<li><b>Census tables</b>: tables joined on the district id (CSV or any OGR table), with their key fields
(one for all, or one per table, comma-separated).</li>
<li><b>Services</b>: point or polygon layers of public services, one type per layer (names
comma-separated; default: the layer names), with an optional capacity field each.</li>
<li><b>Access standards</b>: e.g. <code>school=1000m kita=500m</code>: a district beyond one is underserved.</li>
<li><b>Housing</b>: social housing sites with their unit counts, and an overcrowding field.</li>
<li><b>Permutations</b>: replicates of the permutation test of each index (0: none).</li>
</ul>

<h3>What the indices mean</h3>
<ul>
<li><b>Dissimilarity D</b> (0..1): the share of the group that would have to move for every district to
have the city's mix. Around 0.3 is moderate, above 0.6 high.</li>
<li><b>Isolation</b> (0..1): the group share of the district of an average member of the group; compare it
with the group's city share. <b>Exposure</b>: the share of the others in it.</li>
<li><b>Gini</b>, <b>entropy (Theil's H)</b>, <b>Atkinson</b>: other measures of unevenness, 0 = even.</li>
<li><b>Spatial indices</b> (spatial dissimilarity, clustering, centralisation, proximity, distance decay):
whether the group's districts are next to each other, near the centre, or close together.</li>
<li><b>Local indices</b> (in the layers): location quotient <code>lq</code> (above 1: more of the group than
the city), Gi* hot spots and local Moran classes (high-high = a cluster of high shares).</li>
<li>With permutations each index gets a p-value: the chance of a value this high if the group were spread
at random.</li>
</ul>

<h3>What the classes mean</h3>
<p><b>Objective 5</b> (<code>gap5_class</code>): <i>concentrated_underserved</i> (many of the group and
access worse than the city median, or beyond a standard), <i>concentrated_served</i>, <i>underserved</i>
(not concentrated, poor access), <i>ok</i> (nothing to act on) and <i>no_data</i>. Without services only
<i>concentrated</i> / <i>not_concentrated</i>. <code>gap5_rank</code> orders the districts for action.</p>
<p><b>Objective 10</b> (<code>gap10_class</code>): concentrated districts with overcrowding, low social
housing supply or both; <i>ok</i>; <i>no_data</i> when housing was not assessed.</p>

<h3>Outputs</h3>
<p>The output folder (districts.geojson, objective5.geojson, objective10.geojson with housing input,
services.geojson, their .qml styles, seggap.qgs, report.html, summary.json), the paths of summary.json
and report.html, and the
headline indices as numbers (DISSIMILARITY, ISOLATION, ...) for models. Cancel stops seggap cleanly: it
removes its partial outputs. Errors and warnings are in the log with their codes (README lists them).</p>
"""

CHECK = """
<p>Runs <b>seggap check</b>: validates a new census or register release (fields, numbers, ids,
group &le; total, geometry, CRS, districts against the baseline, total changes), recomputes the
indices, compares them with the baseline run and judges the thresholds of the config's
<code>check:</code> section.</p>
<ul>
<li><b>Config</b>: the YAML file (the options of analyze as keys, plus <code>check:</code>).</li>
<li><b>Release</b> (optional): the new districts layer, instead of the config's <code>districts</code>.</li>
<li><b>Baseline</b> (optional): the baseline run folder, instead of the config's.</li>
</ul>
<p>Outputs: the verdict (<i>pass</i>, <i>breach</i>: a threshold was breached, <i>invalid</i>: the
validation found errors), PASSED, the exit code (0, 1, 3) and the path of check.json. A breach or an
invalid release is a result, not an error of the algorithm; a config or usage error is.</p>
"""

COMPARE = """
<p>Runs <b>seggap compare</b>: the change of every index between two runs of seggap analyze (their
output folders), with a permutation p-value for each aspatial index's change when the district layers
are there, the districts that appeared or vanished, and the decomposition of the change in
dissimilarity and entropy into group sizes, district sizes and redistribution.</p>
<p><b>Null</b>: person (default) pools the residents of each district matched by id; random_label pools
the districts of both runs and relabels them, so two cities, or a city before and after redistricting,
can be compared although their ids do not match.</p>
<p>Outputs: the path of compare.json and the change in dissimilarity and isolation as numbers.</p>
"""
