"""The inbox reads on a synthetic province (bench/province.py's data): listing pages and single reads per reader.

    uv run python bench/province.py --database tisheng_bench_province   # once
    uv run python bench/inbox_reads.py [--database tisheng_bench_province] [--repeat 5]

Times, per reader (the province's top unit as a province auditor, a city office, a county office), a first inbox
page (count + page with the names joined in) and a single read of a task in the listing; the median of --repeat.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bench.province import database_url  # noqa: E402
from infra.db import engine_for  # noqa: E402
from infra.task_views import TaskFilter, visible_task_row, visible_tasks  # noqa: E402
from models.enums import Role, UnitLevel  # noqa: E402
from models.org import Principal, Unit  # noqa: E402


def _median_ms(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="tisheng_bench_province")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    engine = engine_for(database_url(args.database))
    with Session(engine) as session:
        first = {level: session.scalar(select(Unit.id).where(Unit.level == level).order_by(Unit.id).limit(1))
                 for level in (UnitLevel.PROVINCE, UnitLevel.CITY, UnitLevel.COUNTY)}
        readers = [("province auditor", Principal(0, "bench", "bench", Role.PROVINCE_AUDITOR, first[UnitLevel.PROVINCE])),
                   ("city office", Principal(0, "bench", "bench", Role.CITY_OFFICE, first[UnitLevel.CITY])),
                   ("county office", Principal(0, "bench", "bench", Role.COUNTY_OFFICE, first[UnitLevel.COUNTY]))]
        province_office = Principal(0, "bench", "bench", Role.CITY_OFFICE, first[UnitLevel.PROVINCE])
        everything = visible_tasks(session, province_office, TaskFilter(page_size=1))[0]
        print(f"{everything:,} open tasks in the province")
        for label, user in readers:
            page_ms, (total, rows) = _median_ms(lambda: visible_tasks(session, user, TaskFilter()), args.repeat)
            if not rows:
                print(f"{label:17s} {total:>7,} open tasks listed, page {page_ms:6.1f} ms (nothing to read singly)")
                continue
            one_ms, _ = _median_ms(lambda: visible_task_row(session, user, rows[-1].task.id), args.repeat)
            print(f"{label:17s} {total:>7,} open tasks listed, page of {len(rows)} {page_ms:6.1f} ms, "
                  f"single read {one_ms:5.1f} ms")


if __name__ == "__main__":
    main()
