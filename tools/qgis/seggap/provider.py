"""The Processing provider `seggap`: algorithms analyze, check and compare,
and one setting, the path of the seggap binary."""
from qgis.core import QgsProcessingProvider

try:  # the Processing plugin's settings (Settings > Options > Processing > Providers)
    from processing.core.ProcessingConfig import ProcessingConfig, Setting
except ImportError:  # Processing not loaded: SEGGAP_BIN or PATH only
    ProcessingConfig = Setting = None

from .algorithms import AnalyzeAlgorithm, CheckAlgorithm, CompareAlgorithm
from .runner import SETTING_BIN


class SeggapProvider(QgsProcessingProvider):
    def id(self):
        return "seggap"

    def name(self):
        return "seggap"

    def longName(self):  # noqa: N802
        return "seggap: segregation indices and access gaps"

    def load(self):
        if ProcessingConfig is not None:
            ProcessingConfig.settingIcons[self.name()] = self.icon()
            ProcessingConfig.addSetting(Setting(self.name(), SETTING_BIN,
                                                "seggap binary (empty: SEGGAP_BIN, else PATH)", "",
                                                valuetype=Setting.FILE))
            ProcessingConfig.readSettings()
        self.refreshAlgorithms()
        return True

    def unload(self):
        if ProcessingConfig is not None:
            ProcessingConfig.removeSetting(SETTING_BIN)

    def loadAlgorithms(self):  # noqa: N802
        for alg in (AnalyzeAlgorithm(), CheckAlgorithm(), CompareAlgorithm()):
            self.addAlgorithm(alg)
