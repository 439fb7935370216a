"""Uploads that used to lose articles, through `newsrag serve`'s real routes on loopback (#23).

Non-ASCII names once collapsed to one stored file (``新闻.txt`` and ``报道.txt`` both became
``_.txt``, so the second upload silently replaced the first), deleted articles came back on
``doctor --repair`` or a re-upload, a deleted upload's file stayed in the data dir, and the
chat UI left every uploaded file's text in Gradio's temp dir. A uvicorn server serves
``create_app`` with the real MiniLM embedder and the extractive backend; the clients are
httpx on the REST API and the browser's own Gradio upload and queue routes.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rag.api import NewsRAG
from rag.settings import Settings
from tests.ui.test_server import LiveServer, wait_ready
from ui.chat.app import ChatUI
from ui.http.server import create_app


def article(headline: str, sentence: str) -> bytes:
    return f"{headline}\nPublished: 2024-11-20\n\n{sentence}\n".encode()


def two_articles(first: tuple[str, str], second: tuple[str, str]) -> bytes:
    return article(*first) + b"\n\n\n" + article(*second)


GLACIER = ("Glacier museum opens in Longyearbyen", "The glacier museum in Longyearbyen has 12 rooms and an ice cave.")
FERRY = ("Ferry timetable changes in Bodo", "The ferry from Bodo to Lofoten now leaves at 7 in the morning.")
OWL = ("Snowy owls return to Vardo", "Ornithologists in Vardo counted 31 snowy owls on the island this winter.")
BRIDGE = ("Bridge to Senja reopens", "The Gisund bridge to Senja reopened after 9 weeks of repairs on Friday.")
REINDEER = ("Reindeer herders move early", "Herders in Karasjok moved 4,000 reindeer to the coast two weeks early.")
AURORA = ("Aurora tourism breaks record", "Tromso sold 86,000 aurora tours last season, the tourist board said.")


@pytest.fixture(scope="module")
def gradio_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("gradio-tmp")
    with pytest.MonkeyPatch.context() as mp:  # read by Gradio when the app is built, and per upload
        mp.setenv("GRADIO_TEMP_DIR", str(folder))
        yield folder


@pytest.fixture(scope="module")
def rag(tmp_path_factory: pytest.TempPathFactory) -> NewsRAG:
    return NewsRAG(Settings(data_dir=tmp_path_factory.mktemp("uploads") / "data", backend="extractive"))


@pytest.fixture(scope="module")
def server(rag: NewsRAG, gradio_tmp: Path) -> Iterator[LiveServer]:
    with LiveServer(create_app(rag)) as live:
        wait_ready(live.url)
        yield live


def uploads_of(rag: NewsRAG) -> Path:
    return rag.settings.data_dir / "uploads"


def upload(server: LiveServer, *files: tuple[str, bytes]) -> dict[str, Any]:
    r = httpx.post(f"{server.url}/api/articles", files=[("files", (n, b, "text/plain")) for n, b in files], timeout=120)
    assert r.status_code == 200, r.text
    return dict(r.json())


def listed(server: LiveServer, needle: str) -> list[dict[str, Any]]:
    page = httpx.get(f"{server.url}/api/articles", params={"q": needle, "limit": 500}).json()
    return list(page["articles"])


def answer(server: LiveServer, question: str) -> dict[str, Any]:
    r = httpx.post(f"{server.url}/api/ask", json={"question": question}, timeout=120)
    assert r.status_code == 200, r.text
    return dict(r.json())


def cites(server: LiveServer, question: str, headline: str, fact: str) -> bool:
    got = answer(server, question)
    return fact in got["answer"] and any(c["title"] == headline for c in got["citations"])


# Names


def test_two_chinese_names_uploaded_one_after_the_other_are_two_articles(server: LiveServer) -> None:
    first = upload(server, ("新闻.txt", article(*GLACIER)))
    second = upload(server, ("报道.txt", article(*FERRY)))
    assert [(f["name"], f["status"]) for f in first["files"]] == [("新闻.txt", "ingested")]
    assert [(f["name"], f["status"]) for f in second["files"]] == [("报道.txt", "ingested")]  # not "updated"
    assert [a["title"] for a in listed(server, "新闻.txt")] == [GLACIER[0]]
    assert [a["title"] for a in listed(server, "报道.txt")] == [FERRY[0]]
    assert cites(server, "How many rooms does the glacier museum in Longyearbyen have?", GLACIER[0], "12")
    assert cites(server, "When does the ferry from Bodo to Lofoten leave?", FERRY[0], "7")


def test_two_chinese_names_in_one_request_are_two_results_and_two_articles(server: LiveServer) -> None:
    body = upload(server, ("猫头鹰.txt", article(*OWL)), ("桥梁.txt", article(*BRIDGE)))
    assert [(f["name"], f["status"]) for f in body["files"]] == [("猫头鹰.txt", "ingested"), ("桥梁.txt", "ingested")]
    assert body["articles"] == 2
    assert [a["title"] for a in listed(server, "猫头鹰.txt")] == [OWL[0]]
    assert [a["title"] for a in listed(server, "桥梁.txt")] == [BRIDGE[0]]
    assert cites(server, "How many snowy owls were counted in Vardo?", OWL[0], "31")
    assert cites(server, "How long was the Gisund bridge to Senja closed for repairs?", BRIDGE[0], "9 weeks")


def test_umlaut_names_stay_apart_and_the_same_name_still_updates(server: LiveServer, rag: NewsRAG) -> None:
    body = upload(server, ("Über.txt", article(*REINDEER)), ("Äber.txt", article(*AURORA)))
    assert [(f["name"], f["status"]) for f in body["files"]] == [("Über.txt", "ingested"), ("Äber.txt", "ingested")]
    assert [a["title"] for a in listed(server, "Über.txt")] == [REINDEER[0]]
    assert cites(server, "How many reindeer did the herders in Karasjok move?", REINDEER[0], "4,000")
    assert cites(server, "How many aurora tours did Tromso sell last season?", AURORA[0], "86,000")
    # The same name (here in decomposed form, as macOS sends it) is the documented update.
    changed = ("Reindeer herders move early", "Herders in Karasjok moved 5,000 reindeer to the coast.")
    again = upload(server, (unicodedata.normalize("NFD", "Über.txt"), article(*changed)))
    assert [(f["name"], f["status"]) for f in again["files"]] == [("Über.txt", "updated")]
    assert sorted(p.name for p in uploads_of(rag).glob("?ber.txt")) == ["Äber.txt", "Über.txt"]


def test_the_same_name_twice_in_one_request_keeps_both_and_says_so(server: LiveServer) -> None:
    moose = ("Moose crossing warning in Alta", "Drivers near Alta reported 17 moose on the E6 in one night.")
    salmon = ("Salmon season opens on the Tana", "Anglers on the Tana river caught 230 salmon in the first week.")
    body = upload(server, ("wire/news.txt", article(*moose)), ("other/news.txt", article(*salmon)))
    (first, second) = body["files"]
    assert (first["name"], first["status"]) == ("news.txt", "ingested")
    assert (second["name"], second["status"]) == ("news ~2.txt", "ingested")
    assert "another file in this upload is named news.txt" in second["reason"]
    assert {a["title"] for a in listed(server, "news")} >= {moose[0], salmon[0]}


def test_names_that_differ_only_in_odd_characters_stay_apart(server: LiveServer) -> None:
    lynx = ("Lynx seen near Bardufoss", "A lynx was filmed 3 times near the Bardufoss airfield in March.")
    wolf = ("Wolf tracks found in Pasvik", "Rangers found wolf tracks 2 kilometres from the Pasvik border post.")
    body = upload(server, ("a<b>.txt", article(*lynx)), ("a>b<.txt", article(*wolf)))
    names = [f["name"] for f in body["files"]]
    assert len(set(names)) == 2 and all(n.startswith("a_b_ ~") and n.endswith(".txt") for n in names)
    assert all(f["status"] == "ingested" and "renamed to" in f["reason"] for f in body["files"])
    again = upload(server, ("a<b>.txt", article(*lynx)))  # the same given name lands on the same file
    assert [(f["name"], f["status"]) for f in again["files"]] == [(names[0], "unchanged")]


# Deletion


def test_a_deleted_article_of_an_upload_stays_deleted(server: LiveServer, rag: NewsRAG) -> None:
    herring = ("Herring quota cut for Lofoten", "The herring quota for Lofoten fishers was cut by 14 percent.")
    cod = ("Cod prices rise in Honningsvag", "Cod fetched 48 kroner a kilo at the Honningsvag auction.")
    data = two_articles(herring, cod)
    upload(server, ("fisheries.txt", data))
    articles = {a["title"]: a for a in listed(server, "fisheries.txt")}
    assert set(articles) == {herring[0], cod[0]}

    gone = httpx.delete(f"{server.url}/api/articles/{articles[herring[0]]['article_id']}")
    assert gone.status_code == 200, gone.text
    assert [a["title"] for a in listed(server, "fisheries.txt")] == [cod[0]]

    report = rag.doctor()
    assert report.healthy, report.findings
    stored = str(uploads_of(rag).resolve() / "fisheries.txt")
    assert any(f.message.startswith(f"{stored}: complete, 1 article(s) deleted") for f in report.findings)

    repaired = rag.doctor(repair=True)
    assert repaired.healthy, repaired.findings
    assert [a["title"] for a in listed(server, "fisheries.txt")] == [cod[0]]

    again = upload(server, ("fisheries.txt", data))
    assert [f["status"] for f in again["files"]] == ["unchanged"]
    assert [a["title"] for a in listed(server, "fisheries.txt")] == [cod[0]]
    got = answer(server, "By how much was the herring quota for Lofoten cut?")
    assert all(c["title"] != herring[0] for c in got["citations"])
    assert cites(server, "What did cod fetch at the Honningsvag auction?", cod[0], "48")


def test_deleting_every_article_of_an_upload_removes_its_file(server: LiveServer, rag: NewsRAG) -> None:
    whale = ("Orcas follow herring into Skjervoy", "Whale safaris from Skjervoy saw 60 orcas in one day.")
    seal = ("Seal count drops on Froya", "The seal count on Froya fell to 210 animals this summer.")
    data = two_articles(whale, seal)
    upload(server, ("sea life.txt", data))
    file = uploads_of(rag) / "sea life.txt"
    assert file.is_file()
    for a in listed(server, "sea life.txt"):
        assert httpx.delete(f"{server.url}/api/articles/{a['article_id']}").status_code == 200
    assert listed(server, "sea life.txt") == []
    assert not file.exists()  # it held the deleted articles' text
    assert rag.doctor().healthy

    again = upload(server, ("sea life.txt", data))  # the same file again: still deleted, and not kept
    (result,) = again["files"]
    assert result["articles"] == 0 and "left out 2 deleted article(s)" in result["reason"]
    assert listed(server, "sea life.txt") == [] and not file.exists()


# The chat UI's uploads and Gradio's temp dir


def gradio_upload(server: LiveServer, name: str, data: bytes) -> list[Any]:
    """What the browser does: upload to Gradio, then run the upload event through the queue."""
    config = httpx.get(f"{server.url}/config").json()
    picker = next(c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == "nr-upload")
    (fn_index,) = [i for i, d in enumerate(config["dependencies"]) if [picker, "upload"] in d["targets"]]
    up = httpx.post(f"{server.url}/gradio_api/upload", files=[("files", (name, data, "text/plain"))])
    assert up.status_code == 200, up.text
    (cached,) = up.json()
    assert Path(cached).read_bytes() == data  # Gradio's copy, before the event runs
    session = "uploads-data-loss"
    payload = {
        "data": [[{"path": cached, "orig_name": name, "meta": {"_type": "gradio.FileData"}}]],
        "fn_index": fn_index,
        "trigger_id": picker,
        "session_hash": session,
        "event_data": None,
    }
    assert httpx.post(f"{server.url}/gradio_api/queue/join", json=payload).status_code == 200
    url = f"{server.url}/gradio_api/queue/data"
    with httpx.stream("GET", url, params={"session_hash": session}, timeout=120) as events:
        for line in events.iter_lines():
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    assert message["success"], message
                    return list(message["output"]["data"])
    raise AssertionError("the upload event never completed")


def test_chat_ui_upload_leaves_no_copy_in_gradios_temp_dir(server: LiveServer, rag: NewsRAG, gradio_tmp: Path) -> None:
    tern = ("Arctic terns arrive in Ny-Alesund", "The first Arctic terns reached Ny-Alesund on 23 May this year.")
    data = article(*tern)
    outputs = gradio_upload(server, "terns.txt", data)
    assert "✓ terns.txt: ingested, 1 articles" in outputs[4]
    assert (uploads_of(rag) / "terns.txt").read_bytes() == data
    holding = [p for p in gradio_tmp.rglob("*") if p.is_file() and b"Arctic terns" in p.read_bytes()]
    assert holding == []
    assert outputs[5] is None  # the picker is emptied: its files are gone from the cache
    assert cites(server, "When did the first Arctic terns reach Ny-Alesund?", tern[0], "23 May")


def test_chat_ui_upload_never_deletes_a_file_outside_gradios_temp_dir(
    rag: NewsRAG, gradio_tmp: Path, tmp_path: Path
) -> None:
    own = tmp_path / "puffins.txt"
    own.write_bytes(article("Puffins nest on Rost", "Rost has 26 puffin colonies, the county said."))
    *_, result = ChatUI(rag).upload([str(own)])
    assert "✓ puffins.txt: ingested" in result and own.is_file()
