"""The circular speaks the city's own designation (州 for a 自治州) and words changes 上升/下降/持平
(domain.designation; issue 10, item 10)."""
from __future__ import annotations

import io

import docx
import openpyxl
import pytest

from data.exports.circular_docx import circular_docx
from data.exports.circular_xlsx import circular_workbook
from domain.designation import change_text, designation, localize, whole, worded_changes
from tests.data.test_exports import circular


@pytest.mark.parametrize("name, d", [("黔西南布依族苗族自治州", "州"), ("黔西南州", "州"), ("毕节市", "市"),
                                     ("阿里地区", "地区"), ("锡林郭勒盟", "盟"), ("", "市")])
def test_designation_from_the_city_name(name, d):
    assert designation(name) == d
    assert whole(name) == "全" + d


@pytest.mark.parametrize("delta, text", [(-2.53, "下降2.53分"), (2.535, "上升2.54分"), (0.004, "持平"),
                                         (-0.004, "持平"), (0.005, "上升0.01分"), (None, "—"),
                                         (float("nan"), "—")])
def test_change_text(delta, text):
    assert change_text(delta) == text


def test_change_text_units():
    assert change_text(3, "位", 0) == "上升3位"
    assert change_text(-1, "个百分点", 1) == "下降1.0个百分点"


def test_signed_changes_in_stored_sentences_are_worded():
    s = "县均得分73.39分，居全市倒数第2位，较上月-3.53分，低于各县变化中位数（+0.92分）"
    assert worded_changes(s) == "县均得分73.39分，居全市倒数第2位，较上月下降3.53分，低于各县变化中位数（上升0.92分）"
    assert worded_changes("较上月+0.00分") == "较上月持平"
    assert localize(s, "黔西南布依族苗族自治州").startswith("县均得分73.39分，居全州倒数第2位，较上月下降3.53分")
    assert localize("县（市、区）要报市易地搬迁后续扶持工作领导小组办公室", "黔西南州") == \
        "县（市、区）要报州易地搬迁后续扶持工作领导小组办公室"
    assert localize("全市", "毕节市") == "全市"


def _docx_text(data: bytes) -> str:
    d = docx.Document(io.BytesIO(data))
    return "\n".join(p.text for p in d.paragraphs)


def _xlsx_text(data: bytes) -> str:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return "\n".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)


def test_prefecture_circular_never_says_quanshi_and_words_changes():
    lag = [("望谟县", ["县均得分71.33分，居全市倒数第1位，较上月-2.72分，低于各县变化中位数（+0.92分）"])]
    c = circular(city_name="黔西南布依族苗族自治州", lagging=lag)
    for text in (_docx_text(circular_docx(c)), _xlsx_text(circular_workbook(c))):
        assert "全州" in text
        assert "全市" not in text and "报市" not in text
        assert "较上月下降2.72分" in text and "较上月-" not in text and "（+0.92分）" not in text
        assert "县（市、区）" in text


def test_city_circular_keeps_quanshi():
    c = circular(city_name="毕节市")
    text = _docx_text(circular_docx(c))
    assert "全市" in text and "全州" not in text


def test_word_signature_fits_one_line():
    """A full autonomous-prefecture issuer is set small enough to stay on one line (办公室 never wraps)."""
    c = circular(city_name="黔西南布依族苗族自治州", issuer="黔西南布依族苗族自治州易地搬迁后续扶持工作领导小组办公室")
    d = docx.Document(io.BytesIO(circular_docx(c)))
    sig = next(p for p in reversed(d.paragraphs) if p.text == c.issuer)
    size = sig.runs[0].font.size.pt
    right = sig.paragraph_format.right_indent.pt
    usable_pt = (210 - 28 - 26) / 25.4 * 72
    assert size * len(c.issuer) + right <= usable_pt
    date = d.paragraphs[[p.text for p in d.paragraphs].index(c.issuer) + 1]
    assert date.text == c.issue_date_cn and date.runs[0].font.size.pt == size
