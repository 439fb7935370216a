"""Made-up dated articles for the story tests, written as JSONL files ``newsrag ingest`` reads.

``DAM``: one event (a dam breach in the Vessel valley) told by two outlets on two days, and a
follow-up a week later; ``DAM_LATER``: the same valley's dam in the news again 60 days later (a
new inquiry: outside any sensible window); ``MATCH``: a different event that shares one name
(Vessel) with the dam story; ``UNDATED``: the breach told again without a date.
"""

from __future__ import annotations

import json
from pathlib import Path

DAM = [
    {
        "title": "Floodwater forces thousands from homes after Karrow Dam breach",
        "source": "Valley Courier",
        "url": "https://courier.example/karrow-dam-breach",
        "published_at": "2026-03-02",
        "text": "The Karrow Dam on the Vessel River burst before dawn on Monday, sending floodwater through "
        "the villages of Orlin and Tessby and forcing about 4,000 residents from their homes, the Vessel "
        "County emergency office said. Rescue crews in boats pulled families from rooftops in Orlin as the "
        "water rose two metres in an hour. Governor Alma Reyes declared a state of emergency and asked the "
        "national guard for help. Engineers had warned in January that cracks in the Karrow Dam spillway "
        "were growing, according to an inspection report seen by the Courier.",
    },
    {
        "title": "Karrow Dam collapse: Orlin and Tessby evacuated as Vessel River floods",
        "source": "Northern Ledger",
        "url": "https://ledger.example/2026/03/03/karrow-dam",
        "published_at": "2026-03-03",
        "text": "Residents of Orlin and Tessby spent a second night in shelters on Tuesday after the Karrow Dam "
        "burst and flooded the Vessel River valley, Vessel County officials said. About 4,000 people were "
        "evacuated and two were missing. Governor Alma Reyes toured the flooded villages by helicopter and "
        "said the state would pay for temporary housing. The Karrow Dam spillway had shown cracks in a "
        "January inspection, and county engineers said the breach began at the spillway.",
    },
    {
        "title": "Karrow Dam breach: Orlin residents return as Vessel River recedes",
        "source": "Valley Courier",
        "url": "https://courier.example/karrow-dam-return",
        "published_at": "2026-03-09",
        "text": "A week after the Karrow Dam burst, the first residents of Orlin returned on Monday to homes "
        "caked in mud as the Vessel River fell back below its banks, Vessel County said. Governor Alma "
        "Reyes said the two people missing since the breach had been found alive in Tessby. Engineers "
        "began draining what is left of the Karrow Dam reservoir so the spillway can be inspected.",
    },
]
DAM_LATER = {
    "title": "Inquiry opens into Karrow Dam breach that flooded Orlin",
    "source": "Northern Ledger",
    "url": "https://ledger.example/2026/05/04/karrow-inquiry",
    "published_at": "2026-05-04",
    "text": "A public inquiry into the Karrow Dam breach that flooded Orlin and Tessby in March opened on "
    "Monday in Vessel County, hearing from the engineers who inspected the Karrow Dam spillway in January. "
    "Governor Alma Reyes has promised the Vessel River valley that the report will be published in full.",
}
MATCH = {
    "title": "Vessel Rovers win the county cup in extra time",
    "source": "Valley Courier",
    "url": "https://courier.example/rovers-cup",
    "published_at": "2026-03-03",
    "text": "Vessel Rovers won the county cup on Tuesday night, beating Harwick Town three goals to two after "
    "extra time at Mill Lane. Captain Joe Brandt scored twice and goalkeeper Sam Ode saved a late penalty. "
    "The club will parade the trophy through the town centre on Sunday afternoon.",
}
UNDATED = {
    "title": "Karrow Dam bursts, flooding Orlin and Tessby",
    "source": "Weekly Digest",
    "url": "https://digest.example/karrow",
    "text": "The Karrow Dam on the Vessel River burst, sending floodwater through Orlin and Tessby and forcing "
    "about 4,000 residents from their homes, Vessel County said. Governor Alma Reyes declared a state of "
    "emergency; engineers had warned of cracks in the Karrow Dam spillway in January.",
}


def write(path: Path, *articles: dict[str, str]) -> Path:
    """``articles`` as one JSONL file at ``path`` (made, with its folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")
    return path
