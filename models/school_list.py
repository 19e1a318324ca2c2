"""A list of schools to enrol (002 参训学校名单): a CSV with a `school_code` column, or one code per line."""
import csv
import io

from models.errors import InvalidRecords

HEADER = "school_code"


def parse_school_list(text: str, origin: str = "schools") -> list[str]:
    """The school codes in file order; InvalidRecords naming every bad line (a duplicate, a control character)."""
    codes: list[str] = []
    seen: dict[str, int] = {}
    problems = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), 1):
        cells = [c.strip() for c in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        code = cells[0]
        if not codes and not seen and code == HEADER:
            continue
        if len(code) > 64 or any(ord(c) < 32 for c in code):
            problems.append(f"{origin}: line {number}: '{code[:64]}' is not a unit code")
        elif code in seen:
            problems.append(f"{origin}: line {number}: '{code}' is listed already on line {seen[code]}")
        else:
            seen[code] = number
            codes.append(code)
    if problems:
        raise InvalidRecords("; ".join(problems))
    if not codes:
        raise InvalidRecords(f"{origin}: no school code in the file")
    return codes
