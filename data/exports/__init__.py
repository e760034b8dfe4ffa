"""Print-ready exports: site ranking (Excel / CSV) and the monthly circular (月度通报, Excel + Word draft).

Exporters are pure functions from plain DataFrames with Chinese headers (scoring.tables) to file bytes.
They never recompute anything; they only lay out and format what they are given:

- percentages (0-100) show as ``93.2%``, scores with 2 decimals, signed changes ``+1.20``, rank changes ``↑2``;
  the cell keeps the number (so the sheet still sorts and sums) and a number format does the display;
- ID-number columns (身份证号 etc.) are masked (first 6 + last 4) unless ``allow_full_ids=True``;
- every sheet: A4 landscape, fit to one page wide, merged title + subtitle, header repeated on every printed
  page, panes frozen below the header, thin borders, rows needing attention filled light red,
  footer ``第 &P 页，共 &N 页``.

Modules, each importing only those above it in this list (no circle):

- ``layout``        column vocabulary, formatting kinds, cell text, text width, ID masking, highlighted rows
- ``sheet``         the Excel sheet writer (page setup, title, header, rows, footnotes)
- ``ranking``       ranking workbook and CSV
- ``circular``      ``CircularData`` (what the circular shows) and its shared wording
- ``circular_xlsx`` the circular as Excel;  ``circular_docx`` the circular as an editable Word draft
- ``archive``       audit of exports (``log_export``) and issued circulars kept (``save_circular``)
"""
from data.exports.archive import log_export, save_circular
from data.exports.circular import DEFAULT_REQUIREMENTS, CircularData, standard_title
from data.exports.circular_docx import circular_docx
from data.exports.circular_xlsx import circular_workbook
from data.exports.layout import (CIRCULAR_SITE_COLUMNS, COMPLETENESS_NOTE, COUNTY_COLUMNS, DEMO_MARK, DIMENSIONS,
                                 ISSUER, RANK_INTERVAL_NOTE, RANKING_COLUMNS, column_kind, display_text,
                                 mask_id_columns, table_csv, text_width)
from data.exports.ranking import ranking_csv, ranking_workbook
from data.exports.sheet import SheetLayout, write_table_sheet

__all__ = ["CircularData", "circular_workbook", "circular_docx", "ranking_workbook", "ranking_csv",
           "standard_title", "write_table_sheet", "SheetLayout", "mask_id_columns", "column_kind", "display_text",
           "text_width", "table_csv", "log_export", "save_circular", "RANKING_COLUMNS", "COUNTY_COLUMNS",
           "CIRCULAR_SITE_COLUMNS", "RANK_INTERVAL_NOTE", "COMPLETENESS_NOTE", "DEFAULT_REQUIREMENTS", "DIMENSIONS",
           "DEMO_MARK", "ISSUER"]
