"""The closeout's summary table as files: an XLSX workbook with the annex's Chinese headers, and a CSV.

Workbook: a first sheet `汇总` (the province, each city and each of its counties, one row each), then one sheet per
county laid out as 003 附件2 itself (title, 学校名称 … 校本实践活动完成率, one row per school, a 合计 row).
CSV: every row of every level with its level, code and parent code, UTF-8 with a BOM so Excel reads the Chinese.
"""
import csv
import io
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from models.closeout import ANNEX_HEADERS, LEVEL_NAMES, Summary, SummaryRow, annex_title, county_sheet_names, percent
from models.enums import UnitLevel

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
SUMMARY_SHEET = "汇总"
SUMMARY_HEADERS = ("层级", "单位代码", "单位名称", *ANNEX_HEADERS[1:])
CSV_HEADERS = ("层级", "单位代码", "单位名称", "上级单位代码", *ANNEX_HEADERS[1:])
TOTAL_LABEL = "合计"
RATE_FORMAT = "0.00%"
RATE_COLUMNS = frozenset({2, 4, 6, 8})  # positions of the rates among the annex values


def xlsx_bytes(summary: Summary, campaign: str, closed_at: datetime) -> bytes:
    """The workbook: `汇总`, then one annex-2 sheet per county."""
    book = Workbook(write_only=True)
    book.properties.created = book.properties.modified = closed_at.replace(tzinfo=None)
    book.properties.title = annex_title(summary.province.name, campaign)
    sheet = book.create_sheet(SUMMARY_SHEET)
    sheet.append([_bold(sheet, annex_title(summary.province.name, campaign))])
    sheet.append([_bold(sheet, h) for h in SUMMARY_HEADERS])
    for row in summary.rows():
        if row.level != UnitLevel.SCHOOL:
            sheet.append([LEVEL_NAMES[row.level], row.code, row.name, *_values(sheet, row)])
    for name, county in zip(county_sheet_names(summary.counties, [SUMMARY_SHEET]), summary.counties):
        sheet = book.create_sheet(name)
        sheet.append([_bold(sheet, annex_title(county.county.name, campaign))])
        sheet.append([_bold(sheet, h) for h in ANNEX_HEADERS])
        for school in county.schools:
            sheet.append([school.name, *_values(sheet, school)])
        sheet.append([_bold(sheet, TOTAL_LABEL), *_values(sheet, county.county)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _bold(sheet, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value)
    cell.font = Font(bold=True)
    return cell


def _values(sheet, row: SummaryRow) -> list:
    cells = []
    for i, value in enumerate(row.figures.annex_values()):
        if i in RATE_COLUMNS:
            cell = WriteOnlyCell(sheet, value)
            cell.number_format = RATE_FORMAT
            cells.append(cell)
        else:
            cells.append(value)
    return cells


def csv_bytes(summary: Summary) -> bytes:
    """Every row of every level as CSV (rates as 95.24%), UTF-8 with a BOM."""
    return csv_of_rows(summary.rows())


def csv_of_rows(rows: list[SummaryRow]) -> bytes:
    """These summary rows as CSV with the level and parent code of each (rates as 95.24%), UTF-8 with a BOM."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    for row in rows:
        values = row.figures.annex_values()
        writer.writerow([LEVEL_NAMES[row.level], row.code, row.name, row.parent or "",
                         *(percent(v) if i in RATE_COLUMNS else v for i, v in enumerate(values))])
    return text.getvalue().encode("utf-8-sig")


def county_table(county_rows: list[SummaryRow]) -> list[dict[str, object]]:
    """Rows of a county's table artifact: the annex's columns, rates as percentages."""
    table = []
    for row in county_rows:
        values = row.figures.annex_values()
        name = TOTAL_LABEL if row.level == UnitLevel.COUNTY else row.name
        table.append(dict(zip(ANNEX_HEADERS, [name, *(percent(v) if i in RATE_COLUMNS else v
                                                     for i, v in enumerate(values))])))
    return table


def county_markdown(county: SummaryRow, schools: list[SummaryRow], campaign: str, report_keys: list[str]) -> str:
    """A county's markdown artifact: its totals, its schools short of full pass, and where the files are."""
    f = county.figures
    values = f.annex_values()
    lines = [f"# {county.name}（{county.code}）· {campaign} 年终汇总", "",
             f"- 老师人数 {f.teachers}，合格 {f.passed}（{percent(values[2])}）",
             f"- 课程学时合格 {f.hours_passed}（{percent(values[4])}），校本应用考核合格 {f.assessment_passed}"
             f"（{percent(values[6])}），校本实践活动完成 {f.practice_done}（{percent(values[8])}）",
             f"- 学校 {len(schools)} 所，其中未全员合格 {sum(1 for s in schools if s.figures.passed < s.figures.teachers)} 所",
             "", "Reports in the evidence store: " + ", ".join(f"`{k}`" for k in report_keys)]
    return "\n".join(lines)
