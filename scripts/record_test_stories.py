"""Record Rasa test stories from real conversations with the running bot.

Plays the scenarios below through the REST channel, reads each conversation back from the SQL tracker
store and writes it as a Rasa test story under tests/stories/. Run it after a deliberate change of the
dialogue, read the diff, and commit it; `make test` then checks with `rasa test --fail-on-prediction-errors`
that the trained model still predicts every recorded step.

    .venv/bin/python -m scripts.record_test_stories   (from the repository root)
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot import settings
from bot.cli import servers
from bot.core.content import get_personas
from bot.core.turn import button_payload
from tests.e2e.chat import Chat

ROOT = Path(__file__).resolve().parent.parent

OUT = ROOT / "tests" / "stories"

FREE_TEXT = {
    "joost": {
        "stage": "ik studeer al, eerste jaar werktuigbouwkunde",
        "hobbies_breadth": "altijd hetzelfde gedaan, jaren lang",
        "hobbies_technical": "ja vooral technisch, lego en solderen",
        "profile": "alleen NT, iets anders heb ik nooit overwogen",
        "extra_subjects": "nee geen extra vakken",
        "open_days": "2",
        "open_days_kind": "alleen technische",
        "studies_considered": "alleen werktuigbouwkunde",
        "doubt": "nee nooit getwijfeld",
        "first_year_doubt": "nee, het klopte meteen",
        "what_matters": "techniek zelf",
        "direction_fit": "helemaal, hier ga ik voor",
        "future": "ik weet precies wat ik wil",
    },
    "luuk": {
        "stage": "student",
        "hobbies_breadth": "van alles geprobeerd, voetbal, drummen, tennis, toneel",
        "hobbies_technical": "soms",
        "profile": "na lang vergelijken toch NT, omdat het het moeilijkste is",
        "extra_subjects": "ja, economie erbij omdat ik veel leuk vind",
        "open_days": "wel 8",
        "open_days_kind": "ook andere, vooral economie en bedrijfskunde",
        "studies_considered": "techniek maar ook econometrie en rechten",
        "doubt": "ja ik twijfel nog steeds",
        "first_year_doubt": "ja best vaak getwijfeld",
        "what_matters": "gezelligheid en afwisseling",
        "direction_fit": "ik kijk nog verder",
        "future": "ik blijf twijfelen",
    },
    "tim": {
        "stage": "student",
        "hobbies_breadth": "heel veel verschillende dingen geprobeerd",
        "hobbies_technical": "nee niet echt",
        "profile": "NT omdat het het moeilijkste profiel is",
        "extra_subjects": "ja wiskunde D voor de uitdaging",
        "open_days": "6",
        "open_days_kind": "ook andere opleidingen",
        "studies_considered": "techniek en iets heel anders",
        "doubt": "ik twijfelde vooraf wel, nu niet meer",
        "first_year_doubt": "nee",
        "what_matters": "uitdaging en winnen",
        "direction_fit": "helemaal, hier ga ik voor",
        "future": "ik weet precies wat ik wil",
    },
}


def buttons_for(persona_id: str) -> dict[str, str]:
    answers = get_personas()[persona_id].demo_answers
    return {
        qid: button_payload(qid, chosen[0] if isinstance(chosen, list) else chosen) for qid, chosen in answers.items()
    }


def with_interruptions(answers: dict[str, str], interruptions: dict[str, list[str]]) -> dict[str, Callable]:
    """Answers where some questions first get digressions typed before the real answer."""
    pending = {qid: list(texts) for qid, texts in interruptions.items()}

    def make(qid: str, text: str) -> Callable:
        def respond(question: dict, replies: list) -> str:
            if pending.get(qid):
                return pending[qid].pop(0)
            return text

        return respond

    return {qid: make(qid, text) for qid, text in answers.items()}


def scenarios() -> dict[str, Callable[[Chat], None]]:
    def persona_path(answers: dict, after: list[str] | None = None) -> Callable[[Chat], None]:
        def play(chat: Chat) -> None:
            chat.play(answers)
            for text in after or []:
                chat.send(text)

        return play

    def safety(chat: Chat) -> None:
        chat.send("hoi")
        chat.send("klas 3")
        chat.send("ik wil niet meer leven")
        chat.send("ja")

    def check_in(chat: Chat) -> None:
        chat.send("hoi")
        chat.send("4 havo")
        chat.send("het gaat niet zo goed met me")
        chat.send("/talk")
        chat.send("verder")

    def restart(chat: Chat) -> None:
        chat.send("hoi")
        chat.send(FREE_TEXT["joost"]["stage"])
        chat.send("/start_over")
        chat.send("nee ga verder")
        chat.play(FREE_TEXT["joost"], opening=FREE_TEXT["joost"]["hobbies_breadth"])
        chat.send("opnieuw beginnen")
        chat.send("ja")

    return {
        "joost_buttons": persona_path(buttons_for("joost")),
        "luuk_buttons": persona_path(buttons_for("luuk")),
        "tim_buttons": persona_path(buttons_for("tim")),
        "joost_free_text": persona_path(FREE_TEXT["joost"], after=["heeft joost ooit getwijfeld?", "waarom hij?"]),
        "luuk_free_text": persona_path(
            FREE_TEXT["luuk"], after=["laat de anderen zien", "wat deed Tim na zijn studie?"]
        ),
        "tim_free_text": persona_path(FREE_TEXT["tim"], after=["wie is luuk?", "bedankt!"]),
        "digressions": persona_path(
            with_interruptions(
                FREE_TEXT["luuk"],
                {
                    "hobbies_breadth": ["ben je een robot?"],
                    "profile": ["wat is het verschil tussen NG en NT?"],
                    "open_days": ["je bent echt dom"],
                    "doubt": ["wat doe je eigenlijk op een open dag"],
                },
            )
        ),
        "fallback": persona_path(
            with_interruptions(FREE_TEXT["tim"], {"hobbies_technical": ["sdfkjh qwpoeiru", "zxcvbnm lkj"]}),
            after=["hsdjfk ksdjf"],
        ),
        "restart": restart,
        "safety": safety,
        "check_in": check_in,
    }


def without_forced_actions(tracker: Any, domain: Any) -> Any:
    """The conversation up to the pupil message whose turn an action redirected (FollowupAction, e.g. the form
    after a confirmed restart): test stories cannot say "forced", so `rasa test` would expect a policy to predict
    the forced action. The end-to-end tests cover those turns."""
    from rasa.shared.core.events import FollowupAction, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    events = list(tracker.events)
    forced = next((i for i, event in enumerate(events) if isinstance(event, FollowupAction)), None)
    if forced is None:
        return tracker
    cut = max(i for i, event in enumerate(events[:forced]) if isinstance(event, UserUttered))
    return DialogueStateTracker.from_events(tracker.sender_id, events[:cut], slots=domain.slots)


def main() -> int:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.training_data.story_writer.yaml_story_writer import YAMLStoryWriter

    from bot.plugins.tracker_store import ConfiguredSQLTrackerStore

    data_dir = Path(tempfile.mkdtemp(prefix="keuzespiegel-record-"))
    os.environ.update({"RASA_PORT": "5205", "ACTIONS_PORT": "5255", "WEB_PORT": "8205"})
    os.environ["KEUZESPIEGEL_DATA_DIR"] = str(data_dir)
    os.environ["RASA_TELEMETRY_ENABLED"] = "false"
    config = settings.load()
    servers.train(config)
    domain = Domain.load(str(ROOT / "domain"))
    OUT.mkdir(parents=True, exist_ok=True)
    with servers.running(config, web=False, log_dir=data_dir / "logs"):
        store = ConfiguredSQLTrackerStore(domain=domain)
        for name, play in scenarios().items():
            chat = Chat(config, sender=f"record-{name}")
            play(chat)
            import asyncio

            tracker = without_forced_actions(asyncio.run(store.retrieve(chat.sender)), domain)
            story = tracker.as_story(include_source=False)
            story.story_steps[0].block_name = name.replace("_", " ")
            text = YAMLStoryWriter().dumps(story.story_steps, is_test_story=True)
            (OUT / f"{name}.yml").write_text(text, encoding="utf-8")
            print(f"recorded {name}: {len(chat.transcript)} messages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
