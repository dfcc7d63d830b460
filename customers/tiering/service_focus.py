"""Study table 4-1 (表 4-1 不同生命周期客户需求特征): what a customer needs at each lifecycle stage, a basic need
(基础需求) and an expected need (期望需求), shown on the 360° customer page as the service focus of the
customer's current stage (tiering.md §2).

The Chinese is the study's wording, verbatim; the English is a translation (gettext_lazy, so the English UI
can be corrected in the catalogue). The Chinese UI shows the study's text directly.

The study's table has rows for 萌芽期, 成长期, 成熟期, 衰退期 and 消亡期 only: the prospect stage (potential,
考察期/潜在) has no row, so `focus_for("potential")` is None and the page says so rather than inventing one.
"""
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ServiceFocus:
    stage: str  # the tiering key: budding, growth, mature, decline, churned
    stage_zh: str  # the study's name of the stage
    basic_zh: str  # 基础需求, as in table 4-1
    expected_zh: str  # 期望需求, as in table 4-1
    basic_en: Promise
    expected_en: Promise

    @staticmethod
    def _zh():
        return (get_language() or "").startswith("zh")

    @property
    def basic(self):
        """The basic need in the reader's language."""
        return self.basic_zh if self._zh() else str(self.basic_en)

    @property
    def expected(self):
        """The expected need in the reader's language."""
        return self.expected_zh if self._zh() else str(self.expected_en)


TABLE_4_1 = (
    ServiceFocus("budding", "萌芽期", "公司品牌", "交易成本低廉",
                 _("The firm's brand"), _("Low trading costs")),
    ServiceFocus("growth", "成长期", "一对一财富顾问服务", "一对一投资顾问服务",
                 _("One-to-one wealth advisor service"), _("One-to-one investment advisor service")),
    ServiceFocus("mature", "成熟期", "公司提供产品与服务与客户需求匹配", "获得资源、实现共赢",
                 _("The firm's products and services match the customer's needs"),
                 _("Access to resources; both sides win")),
    ServiceFocus("decline", "衰退期", "公司提供产品与服务与客户需求不匹配", "获得尊重、超值服务",
                 _("The firm's products and services no longer match the customer's needs"),
                 _("Being respected; service beyond expectations")),
    ServiceFocus("churned", "消亡期", "替代所能提供的产品和服务", "极端让利、价值无法实现",
                 _("The products and services a replacement firm can offer"),
                 _("Extreme concessions; the value can no longer be realised")),
)
BY_STAGE = {row.stage: row for row in TABLE_4_1}


def focus_for(stage):
    """The table 4-1 row for a lifecycle stage key, or None (potential, unclassified, unknown)."""
    return BY_STAGE.get(stage or "")
