"""Short-answer facts for the benchmark's word-answer families, written for this project.

Each table maps what the question names to the spellings accepted as its answer (the first is
the canonical one). The families are chosen so that the embedded 135M model gets some right
and some wrong, and so that a right answer is a word or two inside whatever sentence the model
wraps it in ("The opposite of hot is cold."). ``VOCABULARY`` adds, per family, words a model
gives instead: they count as an answer (a wrong one) when they come first.
"""

from __future__ import annotations

# The continent's name or its adjective ("a Southeast Asian country") answers.
_BY_CONTINENT: dict[tuple[str, ...], tuple[str, ...]] = {
    ("Africa", "African"): (
        "Kenya", "Nigeria", "Egypt", "Ghana", "Morocco", "Ethiopia", "Angola", "Madagascar",
        "Senegal", "Zambia",
    ),
    ("South America", "South American"): (
        "Peru", "Chile", "Colombia", "Argentina", "Bolivia", "Uruguay", "Venezuela",
    ),
    ("North America", "North American"): ("Canada", "Mexico"),
    ("North America", "Central America", "North American", "Central American"): (
        "Guatemala", "Honduras",
    ),
    ("Europe", "European"): (
        "Norway", "Poland", "Portugal", "Hungary", "Belgium", "Ireland", "Greece", "Austria",
        "Finland",
    ),
    ("Asia", "Asian"): (
        "Thailand", "Vietnam", "Nepal", "Mongolia", "Pakistan", "Japan", "Indonesia", "Iran",
        "Cambodia", "Laos",
    ),
    ("Oceania", "Australia", "Australasia", "Oceanian", "Australian"): (
        "New Zealand", "Fiji", "Papua New Guinea",
    ),
}  # fmt: skip
CONTINENTS: dict[str, tuple[str, ...]] = {
    country: names for names, countries in _BY_CONTINENT.items() for country in countries
}

LANGUAGES: dict[str, tuple[str, ...]] = {
    "Brazil": ("Portuguese",), "Portugal": ("Portuguese",), "Mexico": ("Spanish",),
    "Argentina": ("Spanish",), "Colombia": ("Spanish",), "Spain": ("Spanish",),
    "France": ("French",), "Germany": ("German",), "Austria": ("German",),
    "Italy": ("Italian",), "Japan": ("Japanese",), "China": ("Chinese", "Mandarin"),
    "Russia": ("Russian",), "Greece": ("Greek",), "Turkey": ("Turkish",),
    "Poland": ("Polish",), "Sweden": ("Swedish",), "Norway": ("Norwegian",),
    "Finland": ("Finnish",), "Denmark": ("Danish",), "the Netherlands": ("Dutch",),
    "Hungary": ("Hungarian",), "Iran": ("Persian", "Farsi"), "Israel": ("Hebrew",),
    "Thailand": ("Thai",), "Vietnam": ("Vietnamese",), "South Korea": ("Korean",),
    "Egypt": ("Arabic",), "Saudi Arabia": ("Arabic",), "Ukraine": ("Ukrainian",),
    "Czechia": ("Czech",), "Romania": ("Romanian",), "Indonesia": ("Indonesian",),
}  # fmt: skip

OPPOSITES: dict[str, tuple[str, ...]] = {
    "hot": ("cold",), "big": ("small", "little"), "up": ("down",), "fast": ("slow",),
    "happy": ("sad", "unhappy"), "light": ("dark", "heavy"), "open": ("closed", "shut"),
    "early": ("late",), "rich": ("poor",), "young": ("old",), "strong": ("weak",),
    "full": ("empty",), "wet": ("dry",), "hard": ("soft", "easy"), "loud": ("quiet", "soft"),
    "tall": ("short",), "thick": ("thin",), "wide": ("narrow",), "clean": ("dirty",),
    "push": ("pull",), "win": ("lose",), "buy": ("sell",), "day": ("night",),
    "love": ("hate",), "begin": ("end", "finish"), "true": ("false",), "inside": ("outside",),
    "before": ("after",), "above": ("below", "beneath", "under"), "friend": ("enemy", "foe"),
    "cheap": ("expensive", "dear"), "north": ("south",), "east": ("west",),
    "entrance": ("exit",), "sweet": ("sour", "bitter", "salty"),
}  # fmt: skip

PLURALS: dict[str, tuple[str, ...]] = {
    "mouse": ("mice",), "child": ("children",), "foot": ("feet",), "tooth": ("teeth",),
    "goose": ("geese",), "man": ("men",), "woman": ("women",), "person": ("people", "persons"),
    "knife": ("knives",), "leaf": ("leaves",), "wolf": ("wolves",), "half": ("halves",),
    "box": ("boxes",), "city": ("cities",), "baby": ("babies",), "bus": ("buses", "busses"),
    "potato": ("potatoes",), "hero": ("heroes",), "cactus": ("cacti", "cactuses"),
    "ox": ("oxen",), "life": ("lives",), "wife": ("wives",), "church": ("churches",),
    "story": ("stories",), "fox": ("foxes",), "dish": ("dishes",), "loaf": ("loaves",),
    "louse": ("lice",), "crisis": ("crises",), "thief": ("thieves",),
}  # fmt: skip

BABY_ANIMALS: dict[str, tuple[str, ...]] = {
    "cat": ("kitten", "kitty"), "dog": ("puppy", "pup"), "cow": ("calf",),
    "horse": ("foal", "colt", "filly"),
    "sheep": ("lamb",), "hen": ("chick",), "bear": ("cub",), "lion": ("cub",),
    "duck": ("duckling",), "pig": ("piglet",), "goat": ("kid",), "kangaroo": ("joey",),
    "frog": ("tadpole", "froglet"), "deer": ("fawn",), "goose": ("gosling",),
    "swan": ("cygnet",), "owl": ("owlet",), "eagle": ("eaglet",), "tiger": ("cub",),
    "elephant": ("calf",), "whale": ("calf",), "rabbit": ("kit", "bunny", "kitten"),
    "fox": ("kit", "cub", "pup"), "seal": ("pup",), "butterfly": ("caterpillar", "larva"),
}  # fmt: skip

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip

# "How many X?" with one right number.
QUANTITIES: dict[str, int] = {
    "How many legs does a spider have?": 8,
    "How many legs does an insect have?": 6,
    "How many legs does a dog have?": 4,
    "How many legs does a bird have?": 2,
    "How many arms does an octopus have?": 8,
    "How many days are in a week?": 7,
    "How many months are in a year?": 12,
    "How many hours are in a day?": 24,
    "How many minutes are in an hour?": 60,
    "How many seconds are in a minute?": 60,
    "How many sides does a triangle have?": 3,
    "How many sides does a square have?": 4,
    "How many sides does a pentagon have?": 5,
    "How many sides does a hexagon have?": 6,
    "How many sides does an octagon have?": 8,
    "How many wheels does a bicycle have?": 2,
    "How many wheels does a tricycle have?": 3,
    "How many wheels does a car have?": 4,
    "How many continents are there?": 7,
    "How many days are in a leap year?": 366,
    "How many days are in a year?": 365,
    "How many weeks are in a year?": 52,
    "How many players are on a soccer team on the field?": 11,
    "How many strings does a standard guitar have?": 6,
    "How many letters are in the English alphabet?": 26,
    "How many cents are in a dollar?": 100,
    "How many centimeters are in a meter?": 100,
    "How many grams are in a kilogram?": 1000,
    "How many planets are in the solar system?": 8,
    "How many colors are in a rainbow?": 7,
    "How many hearts does a human have?": 1,
    "How many eyes does a human have?": 2,
    "How many fingers are on one hand?": 5,
    "How many days are in February in a leap year?": 29,
    "How many zeros are in one thousand?": 3,
    "How many years are in a century?": 100,
    "How many years are in a decade?": 10,
}

# Elements whose symbol is no English word on its own ("He", "I", "In", "As", "Be" are left
# out: a scorer could not tell them from the pronoun or the preposition). Nine of the symbols
# are one capital letter, which an answer part used to drop as a stray letter.
ELEMENT_SYMBOLS: dict[str, str] = {
    "hydrogen": "H", "lithium": "Li", "carbon": "C", "nitrogen": "N", "oxygen": "O",
    "fluorine": "F", "neon": "Ne", "sodium": "Na", "magnesium": "Mg", "aluminium": "Al",
    "silicon": "Si", "phosphorus": "P", "sulfur": "S", "chlorine": "Cl", "argon": "Ar",
    "potassium": "K", "calcium": "Ca", "iron": "Fe", "nickel": "Ni", "copper": "Cu",
    "zinc": "Zn", "silver": "Ag", "tin": "Sn", "platinum": "Pt", "gold": "Au",
    "mercury": "Hg", "lead": "Pb", "uranium": "U", "titanium": "Ti", "chromium": "Cr",
}  # fmt: skip

# Words a model gives instead of the right one, per family: a first-named one is a wrong answer.
VOCABULARY: dict[str, tuple[str, ...]] = {
    "continent": (
        "Africa", "Asia", "Europe", "North America", "South America", "Oceania", "Australia",
        "Antarctica", "Australasia", "Central America", "Latin America", "Middle East",
        "America", "Eurasia", "Caribbean", "African", "Asian", "European", "South American",
        "North American", "Central American", "Oceanian", "Australian",
    ),
    "language": (
        "English", "Spanish", "French", "German", "Italian", "Portuguese", "Chinese",
        "Mandarin", "Cantonese", "Japanese", "Russian", "Arabic", "Hindi", "Dutch", "Swedish",
        "Latin", "Greek", "Turkish", "Polish", "Korean", "Thai", "Hebrew", "Persian", "Farsi",
        "Norwegian", "Danish", "Finnish", "Hungarian", "Vietnamese", "Indonesian", "Malay",
        "Ukrainian", "Czech", "Romanian", "Bengali", "Urdu", "Swahili", "Filipino", "Tagalog",
        "Catalan", "Basque", "Flemish", "Serbian", "Croatian", "Bulgarian", "Khmer", "Lao",
        "Burmese", "Tamil", "Nepali", "Sinhala", "Tibetan", "Mongolian", "Amharic", "Yoruba",
        "Hausa", "Zulu", "Afrikaans", "Punjabi", "Gujarati", "Javanese", "Cebuano", "Quechua",
        "Slovak",
    ),
    "baby": (
        "cub", "calf", "puppy", "kitten", "kid", "chick", "lamb", "foal", "pup", "joey",
        "fawn", "piglet", "duckling", "gosling", "cygnet", "tadpole", "larva", "caterpillar",
        "hatchling", "fledgling", "colt", "filly", "kit", "kitty", "bunny", "owlet", "eaglet",
        "calves", "cubs", "puppies", "kittens",
    ),
}  # fmt: skip
