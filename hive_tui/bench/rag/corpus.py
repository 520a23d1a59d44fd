"""A small corpus of invented facts about a town that does not exist, and questions about it.

No model can know these facts: a right answer comes from the retrieved passage. Each file
holds one fact among a few sentences of filler about the town (so every file shares words
like "Quellbrook" and retrieval has to find the right one); answers are short and exact
(a name, a number, a word), so scoring is a substring check.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Fact:
    file: str  # file name in the corpus folder
    title: str
    fact: str  # the sentence that answers the question
    question: str
    answer: str  # must appear in a right answer (case-insensitive)


FACTS: tuple[Fact, ...] = (
    Fact("mayor.md", "The mayor", "The mayor of Quellbrook is Ondrea Vasket.",
         "Who is the mayor of Quellbrook?", "Vasket"),
    Fact("bakery.md", "The bakery", "The bakery on Lantern Street is called Brimmel Loaves.",
         "What is the bakery on Lantern Street called?", "Brimmel"),
    Fact("river.md", "The river", "The river that runs through Quellbrook is the Sazzow.",
         "What river runs through Quellbrook?", "Sazzow"),
    Fact("festival.md", "The festival", "Every spring Quellbrook holds the Fennick Lantern "
         "Festival.", "What festival does Quellbrook hold every spring?", "Fennick"),
    Fact("library.md", "The library", "The town library keeps exactly 4417 books.",
         "How many books does the town library keep?", "4417"),
    Fact("bridge.md", "The bridge", "The old stone bridge was built by the mason Tavik Orrle.",
         "Who built the old stone bridge?", "Orrle"),
    Fact("school.md", "The school", "The head teacher of the school is Miriel Captow.",
         "Who is the head teacher of the school?", "Captow"),
    Fact("mountain.md", "The mountain", "The mountain north of town is Mount Gelvane.",
         "What is the mountain north of town called?", "Gelvane"),
    Fact("football.md", "The football club", "The football club is the Quellbrook Otters, "
         "and its colours are teal and amber.", "What are the colours of the football club?",
         "teal"),
    Fact("cheese.md", "The cheese", "The local cheese is called Drovemark and is smoked over "
         "pine.", "What is the local cheese called?", "Drovemark"),
    Fact("clock.md", "The clock tower", "The clock tower bell is named Old Pellum.",
         "What is the clock tower bell named?", "Pellum"),
    Fact("museum.md", "The museum", "The museum's prize exhibit is a silver harp called the "
         "Windrel.", "What is the museum's prize exhibit called?", "Windrel"),
    Fact("railway.md", "The railway", "The railway station opened in the year 1874.",
         "In what year did the railway station open?", "1874"),
    Fact("lake.md", "The lake", "The lake east of town is Lake Ossimer.",
         "What is the lake east of town called?", "Ossimer"),
    Fact("newspaper.md", "The newspaper", "The town newspaper is the Quellbrook Crier.",
         "What is the town newspaper called?", "Crier"),
    Fact("doctor.md", "The doctor", "The town doctor is Halvard Quince.",
         "Who is the town doctor?", "Quince"),
    Fact("market.md", "The market", "The market is held every Thursday in Tollgate Square.",
         "Where is the market held?", "Tollgate"),
    Fact("brewery.md", "The brewery", "The brewery makes a dark ale called Morrow Stout.",
         "What dark ale does the brewery make?", "Morrow"),
    Fact("park.md", "The park", "The park at the centre of town is Amberlea Park.",
         "What is the park at the centre of town called?", "Amberlea"),
    Fact("church.md", "The chapel", "The chapel on the hill is dedicated to Saint Ivrella.",
         "To which saint is the chapel on the hill dedicated?", "Ivrella"),
    Fact("lighthouse.md", "The lighthouse", "The lighthouse keeper is Bram Tollivet.",
         "Who is the lighthouse keeper?", "Tollivet"),
    Fact("population.md", "The population", "Quellbrook has a population of 12604 people.",
         "What is the population of Quellbrook?", "12604"),
    Fact("founder.md", "The founder", "Quellbrook was founded by the merchant Aldous Venmire.",
         "Who founded Quellbrook?", "Venmire"),
    Fact("flower.md", "The town flower", "The town flower is the blue starwort.",
         "What is the town flower?", "starwort"),
    Fact("twin.md", "The twin town", "Quellbrook is twinned with the town of Marrowgate.",
         "Which town is Quellbrook twinned with?", "Marrowgate"),
    Fact("hotel.md", "The hotel", "The only hotel in town is the Gilded Heron.",
         "What is the only hotel in town called?", "Heron"),
    Fact("fire.md", "The fire station", "The fire chief is Corra Densley.",
         "Who is the fire chief?", "Densley"),
    Fact("mill.md", "The mill", "The old mill grinds barley and is run by the Hobbet family.",
         "Which family runs the old mill?", "Hobbet"),
    Fact("dish.md", "The town dish", "The town dish is a fish stew called skellen.",
         "What is the fish stew of the town called?", "skellen"),
    Fact("motto.md", "The motto", "The town motto is Steady Waters.",
         "What is the town motto?", "Steady Waters"),
)

FILLER = (
    "Quellbrook is a small town in a green valley. Visitors often come in summer, when the "
    "streets are busy and the weather is mild.",
    "People in Quellbrook like to talk about their town, and the council keeps records of "
    "everything that happens there.",
)


def markdown(fact: Fact, index: int) -> str:
    filler = FILLER[index % len(FILLER)]
    closing = "More about the town is in its other notes."
    return f"# {fact.title}\n\n{filler}\n\n{fact.fact}\n\n{closing}\n"


def write_corpus(folder: Path) -> list[Path]:
    """Write one markdown file per fact into ``folder``; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, fact in enumerate(FACTS):
        path = folder / fact.file
        path.write_text(markdown(fact, index), encoding="utf-8")
        paths.append(path)
    return paths
