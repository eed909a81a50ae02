"""seggap for QGIS: a Processing-only plugin (hasProcessingProvider=yes).

QGIS calls classFactory(iface) and then initProcessing(), also headless
(qgis_process, or a script that imports the plugin) where iface is None.
"""


def classFactory(iface):  # noqa: N802 (QGIS's name)
    from .plugin import SeggapPlugin
    return SeggapPlugin(iface)
