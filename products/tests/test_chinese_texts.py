"""Issue 20: the catalogue's descriptive fields read in Chinese on Chinese pages (the study's own words, tables
4-3 to 4-6), in English on English pages; an edited field drops its Chinese until someone writes it."""
from django.utils import translation

from customers.models import Role
from products import services
from products.models import ProductVersion


def test_the_shipped_catalogue_has_the_studys_chinese(db):
    v = ProductVersion.objects.get(product__code="ASSET_PLAN", is_current=True)
    with translation.override("zh-hans"):
        assert v.fee_model_text == "代销费" and v.fits_text == "C5 级别的基金客户"
        assert v.description_text == "定向投资于证券、债券、金融衍生品等；40 万元起购"
    with translation.override("en"):
        assert v.fee_model_text == "distribution fee" and v.description_text.startswith("directed investment")
    missing = ProductVersion.objects.filter(is_current=True, zh={}).values_list("product__code", flat=True)
    assert list(missing) == []  # every shipped product


def test_the_chinese_follows_the_english_it_translates(db, staff):
    bm = staff(Role.BRANCH_MANAGER)
    v = ProductVersion.objects.get(product__code="GHDH", is_current=True)
    values = {f: getattr(v, f) for f in services.VERSION_FIELDS}  # what the form posts: every field
    new = services.save_product(user=bm.user, code="GHDH", values={**values, "description_en": "daily market notes"},
                                note="edited")
    with translation.override("zh-hans"):
        assert new.description_text == "daily market notes"  # its Chinese was of the old English
        assert new.fee_model_text == "免费" and new.channel_text == "微信公众号"  # unchanged fields keep theirs
    assert v.zh["description"] == "市场解读、投教知识"


def test_the_catalogue_page_in_chinese(db, staff, client_for):
    client = client_for(staff(Role.WEALTH_ADVISOR))
    client.cookies["django_language"] = "zh-hans"
    html = client.get("/products/").content.decode()
    assert "一次性收费（90 天 2580 元；180 天 4580 元；360 天 6580 元）" in html
    assert "commission uplift" not in html and "distribution fee" not in html
