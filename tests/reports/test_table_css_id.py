"""Table ids are valid CSS selectors (issue 16: 'out-14-1.01-1' made great_tables' scoped CSS invalid, so row
labels came out centred and bold, with no rules). The check: every scoped rule of the HTML names the table's id,
and the id has no character a CSS #id selector cannot take unescaped."""
from __future__ import annotations

import re

import pandas as pd

from reports.display import DisplayTable
from reports.tables import css_id, display_table_html


def test_css_id_keeps_letters_digits_dash_underscore_only():
    assert css_id("out-14-1.01-1") == "out-14-1-01-1"
    assert css_id("out-F14.2.1_a b") == "out-F14-2-1_a-b"


def test_the_tables_scoped_css_names_its_id():
    table = DisplayTable("Demographics", pd.DataFrame({"Characteristic": ["Age", "Sex"], "A": ["50", "F"]}),
                         stub_columns=("Characteristic",))
    html = display_table_html(table, table_id="out-14-1.01-1")
    assert 'id="out-14-1-01-1"' in html and "out-14-1.01" not in html
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    selectors = [sel.strip() for rule in re.findall(r"(?:^|\})\s*([^{}@]+)\{", style) for sel in rule.split(",")]
    scoped = [sel for sel in selectors if sel.startswith("#")]   # GT also groups a few bare element selectors
    assert len(scoped) > 10 and all(sel.split()[0] == "#out-14-1-01-1" for sel in scoped), scoped[:5]
