"""Keyword/regex safety net for pupils in distress, in two tiers (no Rasa imports).

`assess(text)` is the one decision about a pupil's well-being; `bot.plugins.nlu_safety` turns it into the
`distress` intent (tier "crisis": suicide, self-harm, abuse, danger; the full referral) or the `check_in`
intent (tier "check_in": sad, lonely, stressed, bullied; a short, warm check-in). DIET's own guesses never
trigger either: a trained model differs between machines, this net does not, and ordinary answers
("ik wilde mezelf uitdagen", "niet meer sinds ik het uitgezocht heb", "meer thuis aan het bouwen",
"dood saai") must get neither. The net reads each clause of a message on its own, so "ik zie het niet
zitten om te gaan" is an answer while "ik zie het niet meer zitten" is not.

Matching works on a normalised form of the text:

* lowercase, accents stripped ("suïcide" -> "suicide"), simple leetspeak in words
  ("z3lfm00rd" -> "zelfmoord"), "k*t" style censoring removed;
* punctuation and emoji become spaces, whitespace is collapsed;
* every run of the same letter is collapsed to one letter ("doooood", "dood" -> "dod",
  "meer" -> "mer"); the patterns below are written in normal spelling and collapsed the
  same way when they are compiled;
* a second "squashed" form without any spaces catches "z e l f m o o r d" and
  "zelf moord";
* a few long keywords are also matched with an edit distance of 1-2 ("zelfmoort",
  "sucide", "depresief").
"""

# ruff: noqa: E501  (the pattern table reads better with one rule per line)
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.core.text import fold

__all__ = ["CHECK_IN", "CRISIS", "Assessment", "assess", "normalize", "is_distress", "distress_reason"]

CRISIS = "crisis"
CHECK_IN = "check_in"
# Only the start of a message is read: the cost per message stays bounded whatever a client sends.
MAX_ANALYSED_CHARS = 2000
# Only short texts are cached, so the cache can never hold huge strings.
MAX_CACHED_CHARS = 300

_LEET = str.maketrans({"0": "o", "3": "e", "1": "i", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})

# Common chat abbreviations and typos, applied on whole words after normalising.
# Keys and values are written in normal spelling; they are collapsed when compiled.
_WORD_FIXES_RAW = {
    "mn": "mijn",
    "mijn": "mijn",
    "m": "mijn",
    "mij": "me",
    "mzelf": "mezelf",
    "mijzelf": "mezelf",
    "mezelluf": "mezelf",
    "nt": "niet",
    "nie": "niet",
    "ni": "niet",
    "nit": "niet",
    "neit": "niet",
    "niett": "niet",
    "mer": "meer",
    "mr": "meer",
    "wl": "wil",
    "wll": "wil",
    "kn": "kan",
    "k": "ik",
    "ikke": "ik",
    "iederen": "iedereen",
    "idereen": "iedereen",
    "iedreen": "iedereen",
    "iedereen": "iedereen",
    "niemant": "niemand",
    "nimand": "niemand",
    "niemnd": "niemand",
    "kkr": "kanker",
    "kt": "kut",
    "klotte": "klote",
    "leve": "leven",
    "lven": "leven",
    "lefen": "leven",
    "dud": "dood",
    "dod": "dood",
    "dot": "dood",
    "doot": "dood",
    "gepesd": "gepest",
    "gpest": "gepest",
    "gepeste": "gepest",
    "pesen": "pesten",
    "hate": "haat",
    "ht": "haat",
    "haad": "haat",
    "zitte": "zitten",
    "ziten": "zitten",
    "zite": "zitten",
    "zittn": "zitten",
    "zi": "zie",
    "fol": "voel",
    "foel": "voel",
    "voell": "voel",
    "voehl": "voel",
    "elemaal": "allemaal",
    "alemaal": "allemaal",
    "allemal": "allemaal",
    "zelfmoort": "zelfmoord",
    "gwn": "gewoon",
    "gewn": "gewoon",
    "t": "het",
    "kwil": "ik wil",
    "kben": "ik ben",
    "kvoel": "ik voel",
    "kzie": "ik zie",
    "khaat": "ik haat",
    "kword": "ik word",
    "selfmoord": "zelfmoord",
}

_INTENSIFIERS = (
    r"(?:echt|zo|heel|erg|super|mega|gewoon|best|wel|enorm|ontzettend|kanker|kut|vet|ook|nu|toch|al|"
    r"altijd|steeds|de hele tijd|elke dag|soms|vaak|nog|eigenlijk|al weken|al maanden|al dagen|al een tijd|"
    r"de laatste tijd|zelf)"
)
_I = rf"(?:{_INTENSIFIERS} )*"

# Patterns are written in normal spelling; every letter run is collapsed to one letter
# before compiling (the text is collapsed the same way), so "dood" also matches "doooood" and "dod".
_PATTERNS: list[tuple[str, str]] = [
    # suicide / wanting to be dead
    ("suicide", r"zelfmoord|zelf moord|zelfdoding|su[ie]?c[ie]?de|suizid|selfmoord|zelmoord|zelfmord"),
    (
        "dead_wish",
        rf"\b(?:wil|wille|willen|wou|zou|wens|wenste|wil ik)\b (?:{_INTENSIFIERS} |graag |liefst |liever |ook )*(?:dood|doodgaan|sterven|dood gaan)\b(?! (?:saai|moe|simpel|makkelijk|normaal|leuk|gewoon|graag|eenvoudig|van|gaan van|gaan aan))",
    ),
    (
        "dead_wish",
        r"\bdenk (?:\w+ ){0,2}(?:aan|over) (?:de dood|dood gaan|doodgaan|sterven|niet meer leven)\b|\bben er liever niet\b",
    ),
    ("dead_wish", r"\b(?:was|ware|lag|ben) ik (?:maar|liever|toch maar) (?:dood|er niet|nooit geboren|er nooit)"),
    ("dead_wish", r"\bik wou dat ik (?:dood|er niet|nooit)"),
    (
        "dead_wish",
        r"\bdood wil ik\b|\bikwil(?:dood|doodgaan|sterven)\b|\bliever dood\b|\bwil sterven\b|\bdood willen\b|\bnooit (?:meer )?geboren\b",
    ),
    ("not_living", rf"\b(?:niet|geen zin|geen zin om) {_I}meer (?:te )?(?:leven|bestaan|ademen)\b"),
    ("not_living", rf"\b(?:er|hier) {_I}niet meer (?:wil )?(?:zijn|wezen|te zijn)\b"),
    ("not_living", r"\bniet meer wakker\b|\bnooit meer wakker\b|\bnooit meer (?:op )?(?:te )?word(?:en)? wakker"),
    ("not_living", rf"\bwil {_I}(?:ik )?{_I}verdwijnen\b|\bwil {_I}niet meer bestaan\b"),
    ("not_living", rf"\b(?:ik )?wil {_I}niet meer\s*$|\b(?:wil|kan) {_I}niet meer verder\b"),
    ("not_living", r"\bgeen zin (?:meer )?in (?:het |mijn |dit )?leven\b"),
    ("not_living", rf"^(?:ik )?kan {_I}(?:het )?{_I}niet meer\s*$|\bik kan {_I}niet meer\s*$"),
    (
        "not_living",
        rf"\bkan het {_I}niet meer aan\b|\btrek het {_I}niet meer\b|\bho(?:ud|u|udt)? het {_I}niet meer vol\b",
    ),
    ("end_it", r"\beind(?:e)? (?:aan|an) (?:maken|mijn leven|me leven|het leven|alles|mezelf)\b"),
    ("end_it", r"\ber (?:een )?eind(?:e)? (?:aan|an)\b|\ber (?:een )?eind(?:e)? (?:wil |gaan |ga )?(?:aan|an) maken\b"),
    ("end_it", r"\b(?:mijn|me) (?:eigen )?leven (?:beeindigen|beindigen|nemen|stoppen|eindigen|afmaken)\b"),
    ("end_it", r"\bleven (?:wil )?(?:beeindigen|beindigen)\b|\bstoppen met leven\b|\bmijn eigen leven\b"),
    ("end_it", r"\b(?:van|vanaf|af) (?:een|het|de) (?:dak|flat|brug|gebouw|toren)\b.{0,20}\bspring"),
    ("end_it", r"\bspring(?:en)? (?:van|vanaf|af|voor) (?:een|het|de) (?:dak|flat|brug|gebouw|trein|metro|auto)"),
    ("end_it", r"\bvoor (?:de|een) trein\b"),
    (
        "end_it",
        r"\b(?:mezelf|me) (?:op ?hangen|ophangen|verhangen|doden|vermoorden|doodmaken|dood maken|wat aandoen|iets aandoen|aandoen)\b",
    ),
    ("end_it", r"\b(?:pillen|pilletjes) (?:slikken|nemen|innemen)\b|\boverdosis\b|\bpolsen (?:door|snijden)"),
    (
        "end_it",
        r"\bkill(?:ing)? (?:my ?self|me)\b|\bkms\b|\bwant (?:to )?die\b|\bwanna die\b|\bend (?:it all|my life)\b|\bsuicidal\b",
    ),
    # more crisis phrasings: indirect wishes to die, plans, means, harm, abuse and danger
    (
        "not_living",
        r"\bniet (?:meer )?verder (?:wil |willen )?leven\b|\bwil (?:\w+ )?niet (?:meer )?verder leven\b|\bgeen zin (?:meer )?om te leven\b|\bvan het leven beroven\b|\bom het leven brengen\b",
    ),
    (
        "not_living",
        r"\bals ik dood (?:was|ben|ga|zou zijn)\b|\bben ik er (?:toch |al )?niet meer\b|\ber (?:volgend jaar |straks |binnenkort |morgen )(?:toch |al )?niet meer\b",
    ),
    ("not_living", r"\b(?:worden|later|wil ik)\W+dood\s*$|^dood\s*$"),
    (
        "end_it",
        r"\bafscheidsbrief|\bafscheidsbrieven|\bpunt achter (?:\w+ ){0,2}(?:zetten|leven)\b.*\b(?:altijd|leven|alles)\b|\ber een punt achter (?:het leven|alles|mijn leven)\b",
    ),
    (
        "end_it",
        r"\bpillen (?:\w+ ){0,2}(?:klaarliggen|klaar liggen|klaar|geslikt|slikken|verzameld|gespaard|bewaard)\b|\b(?:veel|heel veel|een hoop|alle) (?:pillen|pilletjes|medicijnen) (?:\w+ )?(?:geslikt|genomen|ingenomen)\b",
    ),
    ("end_it", r"\bop (?:het|een) dak\b.*\bspring|\bwil (?:\w+ ){0,2}springen\b|\bvan (?:de|een) brug\b"),
    (
        "self_harm",
        r"\b(?:in |op )?(?:mijn|me|mn) (?:arm|armen|pols|polsen|been|benen|huid|dijen|buik) (?:\w+ ){0,2}(?:gesneden|snij|snijd|sneed|gekrast|kras|gebrand|open)\b|\bgesneden in (?:mijn|me|mn)\b",
    ),
    (
        "self_harm",
        r"\b(?:snij|snijd|sneed|kras|krab|brand|sla|gebrand|gesneden|gekrast) (?:ik )?mezelf\b|\bmezelf (?:\w+ ){0,3}(?:gebrand|gesneden|gekrast|opengekrabd|open krab|open)\b|\btot het bloedt\b",
    ),
    (
        "self_harm",
        r"\bmezelf (?:\w+ )?(?:iets|wat) (?:ga |gaan |zal |zou )?aan ?(?:doen|doe)\b|\bmezelf (?:iets|wat) aandoe",
    ),
    (
        "abuse",
        r"\b(?:doet|doen|deed) me (?:\w+ )?pijn\b|\bme (?:\w+ )?pijn (?:doet|doen|deed)\b|\baan me (?:ge)?zeten\b|\bzit(?:ten)? aan me\b|\b(?:dwingt|dwingen|dwong) me\b|\bslaat (?:hij |ze |mijn \w+ )?me\b|\bbedreig(?:t|en|de) me\b|\bagressief\b.*\bsla",
    ),
    (
        "abuse",
        r"\bin gevaar\b|\bniet veilig\b|\bonveilig\b|\bvolgt me\b|\bkan niet weg\b|\bzit (?:\w+ ){0,3}vast bij\b|\bweggelopen\b|\bhelp (?:me )?alsjeblieft\b",
    ),
    # self-harm
    ("self_harm", r"\bzelfbeschadig|\bzelf beschadig|\bself ?harm|\bcutting (?:my ?self)?"),
    (
        "self_harm",
        rf"\bmezelf {_I}(?:pijn|snij|snijden|krassen|kras|beschadigen|slaan|snijd)\b|\b(?:doe|deed|wil|ga) me {_I}pijn (?:doen|aan)\b|\bme {_I}(?:snijden|krassen|snij|snijd)\b",
    ),
    (
        "self_harm",
        rf"\b(?:snij|snijd|kras|sla|bijt|brand) (?:ik )?{_I}(?:in )?(?:mezelf|me|mijn armen|mijn arm|mijn benen|mijn been|mijn polsen|mijn pols)\b",
    ),
    (
        "self_harm",
        r"\b(?:mezelf|me) (?:wat|iets|pijn) (?:aan )?(?:te )?doen\b|\b(?:me|mezelf) van kant (?:te )?maken\b",
    ),
    (
        "self_harm",
        r"\bsnijden in (?:mijn|me)\b|\bkrassen in (?:mijn|me)\b|\bin (?:mijn|me) (?:armen|arm|polsen|pols) (?:snij|kras)",
    ),
    ("self_harm", r"\bdoe (?:mezelf|me) (?:pijn|wat aan|iets aan)\b"),
    ("self_harm", r"\bmezelf (?:\w+ )?(?:gesneden|gekrast|pijn gedaan|beschadigd|geslagen)\b"),
    ("end_it", r"\b(?:pillen|pilletjes|medicijnen) (?:verzameld|gespaard|opgespaard)\b"),
    # worthlessness / nobody cares
    ("burden", r"\b(?:beter af|beter) zonder (?:me)\b|\bzonder (?:me) (?:is|zijn|zou|beter)"),
    ("burden", r"\bniemand (?:zou |zal |gaat )?(?:me|mijn) (?:missen|mis)\b|\bniemand mist me\b"),
    ("worthless", r"\bniemand (?:geeft|houdt|hou|ziet|snapt|begrijpt|luistert) (?:om |van |naar )?me\b"),
    ("worthless", r"\bniemand (?:wil|vindt|vind|mag) (?:met )?me\b"),
    ("worthless", r"\b(?:iedereen|allemaal)\b(?: \w+){0,3} (?:haat|haten) me\b"),
    (
        "worthless",
        r"\b(?:iedereen|allemaal|ze allemaal|de hele klas|mijn klas) (?:haat|haten|heeft een hekel aan|hebben een hekel aan) (?:me)\b",
    ),
    (
        "worthless",
        r"\b(?:ik )?(?:haat|hate) (?:mezelf|me self|myself|mijn leven|my life|het leven)\b|\bhekel aan mezelf\b",
    ),
    (
        "worthless",
        rf"\bik (?:ben|voel me) {_I}(?:waardeloos|niks waard|niets waard|een mislukkeling|een mislukking|overbodig|een last)\b",
    ),
    ("burden", r"\bik ben (?:voor )?(?:iedereen )?(?:alleen maar )?een last\b|\bik ben niks\s*$|\bik ben niemand\b"),
    (
        "worthless",
        r"\bik heb niemand(?: meer)?\s*$|\bik heb niemand (?:meer|om|die|aan wie|waarmee)\b|\bniemand om mee te praten\b",
    ),
    (
        "worthless",
        r"\bik heb geen (?:echte )?vrienden(?: meer)?\s*$|\bik heb geen (?:echte )?vrienden (?:meer|en|want|omdat|op school)\b|\bgeen enkele vriend\b",
    ),
    (
        "lonely",
        r"\beenzaam\b|\benzaam\b|\bvoel me (?:zo |heel |echt |erg |vaak |soms )*alleen\b|\bben (?:zo |heel |echt |erg |altijd |helemaal |vaak )+alleen(?: (?:en|maar|want)\b|\s*$)",
    ),
    # meaninglessness
    (
        "pointless",
        r"\b(?:heeft|hoeft|heb) (?:allemaal |alles |het |echt )*geen zin meer\s*$|\b(?:heeft|hoeft) (?:het )?allemaal (?:echt )?geen zin\b|\bheeft (?:allemaal )?geen zin meer\b",
    ),
    (
        "pointless",
        r"\b(?:allemaal|alles) (?:heeft|heeft echt) geen zin\b|\bleven (?:heeft|is) (?:geen zin|zinloos|niks waard|geen nut)\b|\balles is zinloos\b",
    ),
    (
        "pointless",
        r"\bwat (?:heeft|is) (?:alles|mijn leven|het leven|leven) (?:nog |eigenlijk |uberhaupt )*(?:voor )?(?:zin|nut)\b|\bwat heeft (?:het|alles) (?:allemaal )?nog (?:voor )?(?:zin|nut)\b",
    ),
    (
        "pointless",
        r"\bnergens (?:meer )?zin (?:meer )?in\b|\bgeen reden (?:meer )?(?:om )?(?:te )?leven\b|\bno reason to live\b",
    ),
    ("pointless", rf"\bzie het {_I}(?:niet|geen) {_I}meer {_I}(?:zitten|zien)\b|\bzie het niet meer\b|\bgeen uitweg\b"),
    ("low_mood", rf"\bzie het {_I}(?:niet|geen) {_I}(?:zitten|zien)\s*$"),
    (
        "low_mood",
        r"\bmijn leven is (?:echt |zo |gewoon )*(?:kut|klote|kanker|een hel|hel|zinloos|waardeloos|niks|shit|kapot|voorbij)\b",
    ),
    (
        "pointless",
        r"\bklaar met (?:het |mijn |alles|dit )?(?:leven|alles|bestaan)\b|\bmoe van (?:het )?(?:leven|alles|bestaan)\b|\blevensmoe\b",
    ),
    ("pointless", r"\bklaar mee,? met alles\b|\b(?:zat|beu) (?:om te leven|van het leven)\b|\bhet leven (?:zat|beu)\b"),
    ("pointless", r"\bleven (?:is )?niet (?:meer )?(?:leuk|de moeite)\b|\bvind het leven niet\b"),
    # feeling very bad
    (
        "feeling_bad",
        rf"\b(?:voel|voelt) (?:me|mezelf) {_I}(?:kut|klote|kanker|slecht|rot|ellendig|waardeloos|depressief|depri|leeg|kapot|verdrietig|ongelukkig|shit|naar|niet goed|verschrikkelijk|vreselijk|hopeloos|wanhopig|zwaar|down|super down|kut kut)\b",
    ),
    (
        "feeling_bad",
        rf"\bhet gaat {_I}(?:slecht|kut|klote|kanker slecht|niet goed|rot|shit) met me\b|\bmet me gaat het {_I}(?:slecht|kut|klote|niet goed|rot)\b",
    ),
    ("feeling_bad", r"\bdepres|\bdepri\b|\bdepressed\b|\bpaniekaanval|\bangstaanval|\bangststoornis\b"),
    (
        "feeling_bad",
        r"\b(?:huil|moet huilen|zit te huilen|lig te huilen)\b.{0,25}\b(?:elke dag|de hele tijd|alleen maar|steeds|elke avond|elke nacht|iedere dag|al dagen|altijd|heel vaak)\b",
    ),
    (
        "feeling_bad",
        r"\bhuil (?:me |mezelf )?in slaap\b|\bkapot van binnen\b|\bvanbinnen kapot\b|\bvan binnen kapot\b|\bleeg van binnen\b|\bga er (?:echt )?kapot aan\b",
    ),
    (
        "feeling_bad",
        rf"\bik ben {_I}(?:zo|echt|heel|super|erg) down\b|\bzit (?:echt |zo |heel |super )*(?:diep|in een dip|in een diep dal|er doorheen)\b",
    ),
    ("feeling_bad", r"\bik ben (?:zo |echt |heel )*(?:ongelukkig|wanhopig|hopeloos)\b|\bhopeloos\b|\bwanhopig\b"),
    ("feeling_bad", r"\balles is (?:echt |gewoon |zo )*(?:kut|klote|kanker|shit|zwart|donker|hopeloos)\b"),
    (
        "dark_thoughts",
        r"\bstemmen in mijn hoofd\b|\bzwarte gedachten\b|\bdonkere gedachten\b|\bnare gedachten\b|\bgedachten over dood",
    ),
    # mild signals: low mood, stress, worries at home (tier check_in)
    (
        "low_mood",
        rf"\bhet gaat {_I}niet {_I}(?:zo |zo heel |echt |heel |erg |zo lekker |lekker )?(?:goed|lekker|fijn|best|top|geweldig) met me\b|\bmet me gaat het {_I}niet (?:zo |echt |heel )?(?:goed|lekker)\b",
    ),
    (
        "low_mood",
        rf"\bik ben {_I}(?:verdrietig|somber|bedroefd|neerslachtig|ongelukkig|eenzaam|verloren)\b|\bik voel me {_I}(?:somber|bang|angstig|neerslachtig|verloren|eenzaam|onrustig|niet gezien|niet gehoord)\b",
    ),
    ("low_mood", r"\bniet (?:lekker|fijn) in (?:mijn|me) (?:vel|voel)\b"),  # "vel" is fixed to "voel"
    ("low_mood", rf"\bik heb het {_I}(?:zwaar|moeilijk|lastig)(?: thuis| op school| de laatste tijd| gewoon)?\s*$"),
    ("low_mood", rf"\bik (?:moet|zit|lig) {_I}(?:te )?huilen\b|\bik huil {_I}(?:veel|vaak|elke dag|de hele tijd)\b"),
    ("low_mood", rf"\bik ben {_I}bang\s*$|\bik ben {_I}bang (?:de hele tijd|altijd|elke dag)\b"),
    ("stress", rf"\bik ben {_I}(?:gestrest|gestresst|overspannen|opgebrand|uitgeput)\b|\bburn ?out\b|\boverspannen\b"),
    (
        "stress",
        rf"\bik heb {_I}(?:zo veel |zoveel |te veel |veel |echt veel |super veel |heel veel |zo een |zon )stress\b|\bik kan {_I}(?:niet|nooit) {_I}(?:meer )?slapen\b|\bik slaap {_I}(?:slecht|nauwelijks|bijna niet)\b",
    ),
    (
        "home",
        r"\b(?:veel |altijd |steeds )?(?:ruzie|problemen|gedoe) thuis\b|\bmijn ouders (?:gaan|zijn aan het) scheiden\b|\bmijn ouders (?:maken|hebben) (?:steeds |altijd |veel )?ruzie\b",
    ),
    (
        "low_mood",
        r"\bzit er (?:\w+ ){0,2}doorheen\b|\bin de war\b|\bhoofd zit (?:\w+ )?vol\b|\bweet (?:het )?niet meer wat ik (?:moet|kan)\b|\balles (?:is|wordt) (?:me )?(?:\w+ )?te veel\b",
    ),
    (
        "low_mood",
        r"\b(?:lig|lag) (?:\w+ ){0,3}wakker\b|\b(?:kan|kon) (?:\w+ ){0,2}niet (?:meer )?slapen\b|\bniet (?:meer )?(?:kan|kon) slapen\b|\bslaap (?:\w+ )?slecht\b|\bgeen energie\b|\beet (?:\w+ ){0,2}(?:niks|niets|nauwelijks) meer\b",
    ),
    (
        "low_mood",
        r"\b(?:buikpijn|hoofdpijn|misselijk|hartkloppingen|paniek)\b.*\b(?:zenuwen|stress|angst|spanning|school)\b|\bvan de (?:zenuwen|stress|angst)\b|\bpaniek\b|\bangstig\b|\bfaalangst\b|\bblokkeer\b|\bpieker",
    ),
    (
        "low_mood",
        r"\bgaat (?:\w+ ){0,2}(?:heel |echt |erg |super |zo )?slecht\b|\bvoel me (?:\w+ ){0,4}niet (?:oke|ok|okee|goed|lekker|fijn)\b|\bniks waard\b|\bniets waard\b|\bdoe (?:\w+ )?alles verkeerd\b|\balles verkeerd (?:doe|gaat)\b|\bschaam me\b",
    ),
    (
        "low_mood",
        r"\boverleden\b.*\b(?:verwerken|verdriet|mis)\b|\bkan het niet verwerken\b|\bhuil (?:\w+ ){0,2}(?:veel|vaak)\b|\bniet meer naar school (?:wil|durf)\b|\bbang voor de toekomst\b",
    ),
    (
        "lonely",
        r"\bgeen vrienden\b|\bniemand (?:\w+ ){0,3}(?:praat|praten) (?:\w+ )?met me\b|\bmet niemand (?:\w+ )?praten\b|\bheb niemand meer\b|\bheb ik niemand meer\b|\bme (?:\w+ )?laten vallen\b|\bhoor (?:er )?nergens bij\b|\b(?:vindt|vinden) me raar\b|\bla(?:ten|at) me (?:\w+ )?vallen\b",
    ),
    (
        "bullying",
        r"\bsluiten me (?:\w+ )?buiten\b|\bbuitensluiten\b|\bmaken (?:\w+ )?me (?:\w+ )?belachelijk\b|\blastiggevallen\b|\blastig gevallen\b",
    ),
    ("home", r"\bthuis (?:\w+ ){0,3}(?:onrustig|ruzie)\b|\bsteeds ruzie\b|\bthuis is het\b.*\bruzie\b"),
    # bullying / abuse
    (
        "bullying",
        r"\b(?:word|wordt|werd|worden|ben|was|zijn) (?:\w+ ){0,4}gepest\b|^gepest\b|\bgepest (?:word|worden|door|op)\b|\bpesten (?:me|mijn)\b|\bpest(?:en|t)? me\b|\bpesterij|\bcyberpest|\bgecyberpest",
    ),
    (
        "bullying",
        r"\b(?:lachen|lacht) me (?:altijd |steeds |elke dag |de hele tijd )?uit\b|\buitgelachen\b|\buitgescholden\b|\bbuitengesloten\b|\bgeintimideerd\b|\bbedreigd\b",
    ),
    (
        "abuse",
        r"\b(?:slaan|slaat|schoppen|schopt|duwen|bedreigen) me\b|\bin elkaar geslagen\b|\bmishandeld\b|\bmisbruikt\b|\baangerand\b|\bverkracht\b",
    ),
    ("abuse", r"\bnudes? (?:van me )?(?:rond ?gestuurd|gedeeld|verspreid|gelekt)\b|chanteer|\bchantage\b"),
    (
        "abuse",
        r"\b(?:word|wordt|werd|worden) (?:\w+ ){0,2}(?:geslagen|geschopt|mishandeld|bedreigd|gechanteerd|misbruikt)\b",
    ),
    ("abuse", r"\b(?:niet veilig|onveilig|bang) (?:thuis|op school)\b|\bthuis (?:niet veilig|onveilig)\b"),
    ("bullying", r"\bbully|\bbullied\b"),
    # hotline
    (
        "hotline",
        r"\b(?:bel|bellen|belde|gebeld|nummer van) (?:\w+ ){0,2}113\b|\b113 (?:bellen|gebeld)\b|\bkindertelefoon\b|\bzelfmoordlijn\b",
    ),
]

# Keywords searched in the squashed text (no spaces at all): "z e l f m o o r d", "ikwildood".
_SQUASHED_KEYWORDS_RAW = (
    "zelfmoord",
    "zelfdoding",
    "suicide",
    "suicidal",
    "zelfbeschadig",
    "selfharm",
    "killmyself",
    "ikwilsterven",
    "nietmeerleven",
    "ikwilernietmeerzijn",
    "mezelfpijn",
    "mezelfsnijden",
    "snijmezelf",
    "ziehetnietmeerzitten",
    "ikwordgepest",
)

# Long keywords matched with a small edit distance on words (and pairs of words).
_FUZZY_KEYWORDS_RAW = {
    "zelfmoord": 1,
    "zelfmoorden": 1,
    "zelfdoding": 2,
    "suicide": 1,
    "suicidaal": 2,
    "zelfbeschadiging": 2,
    "depressief": 1,
    "depressie": 1,
}


def _collapse(text: str) -> str:
    """Collapse every run of the same letter to one letter."""
    return re.sub(r"([a-z])\1+", r"\1", text)


def _collapse_pattern(pattern: str) -> str:
    """Collapse letter runs in a regex, leaving escapes like \\b intact."""
    parts = re.split(r"(\\.)", pattern)
    return "".join(p if p.startswith("\\") else _collapse(p) for p in parts)


# Rule names whose hits get the full referral at once; every other rule gets the check-in.
_CRISIS_RULES = frozenset(
    {
        "suicide",
        "dead_wish",
        "not_living",
        "end_it",
        "self_harm",
        "burden",
        "pointless",
        "dark_thoughts",
        "abuse",
        "hotline",
    }
)
# Every squashed or fuzzy keyword means the full referral, except the milder ones that only ask for a check-in.
_CHECK_IN_KEYWORDS = frozenset({"ikwordgepest", "depressief", "depressie"})
_CRISIS_KEYWORDS = (frozenset(_SQUASHED_KEYWORDS_RAW) | frozenset(_FUZZY_KEYWORDS_RAW)) - _CHECK_IN_KEYWORDS
# Stress said with a reassurance in the same message ("veel stress, maar het gaat prima") is no reason to check in.
# A mild signal said as a joke or as something that is over now ("lag er wakker van, maar nu is het opgelost",
# "pijn in mijn hoofd van wiskunde lol") is no reason to check in; a crisis signal always is.
_REASSURED = re.compile(
    r"\b(?:gaat|ging|is|was) (?:(?!niet\b|nie\b|geen\b|nooit\b)\w+ ){0,2}(?:prima|goed|best|oke|ok|top|over)\b"
    r"|\bvalt (?:\w+ )?mee\b|\bmaar nu\b"
    r"|\bopgelost\b|\bgehaald\b|\bben (?:nu )?blij\b|\b(?:lol|haha\w*|hihi|xd|lmao)\b"
)
_CLAUSE_BREAK = re.compile(r"[.!?;,\n]+|\s(?:maar|want)\s")

_WORD_FIXES = {_collapse(k): _collapse(v) for k, v in _WORD_FIXES_RAW.items()}
# A fix may not change a real word once letter runs are collapsed ("kkan" -> "kan" would hit every "kan").
assert all(_WORD_FIXES[_collapse(k)] == _collapse(v) for k, v in _WORD_FIXES_RAW.items()), "word fixes collide"
_COMPILED = [(name, re.compile(_collapse_pattern(pat))) for name, pat in _PATTERNS]
_SQUASHED_KEYWORDS = tuple(_collapse(k) for k in _SQUASHED_KEYWORDS_RAW)
_FUZZY_KEYWORDS = {_collapse(k): v for k, v in _FUZZY_KEYWORDS_RAW.items()}


def _deleet(match: re.Match[str]) -> str:
    word = match.group(0)
    if re.search(r"[a-z]", word) and not word.isdigit():
        return word.translate(_LEET)
    return word


def _basic(text: str) -> str:
    """Lowercase, strip accents and censoring stars, undo leetspeak, punctuation/emoji to spaces."""
    t = fold(str(text or ""))
    t = t.replace("’", "'").replace("`", "'")
    # censoring: k*t, k@t, kl*te, zelfm**rd -> remove the stars inside words
    t = re.sub(r"(?<=[a-z])[*#]+(?=[a-z])", "", t)
    t = re.sub(r"[a-z0-9@$]+", _deleet, t)
    t = t.replace("'", "")
    t = re.sub(r"[^a-z0-9]+", " ", t)
    return _collapse(t).strip()


def normalize(text: str) -> str:
    """Lowercase, strip accents, remove punctuation/emoji, collapse repeated letters, fix chat spelling."""
    return " ".join(_WORD_FIXES.get(w, w) for w in _basic(text).split())


def _edit_distance(a: str, b: str, limit: int) -> int:
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    prev_prev = prev
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            # transposition
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev_prev[j - 2] + 1)
            best = min(best, cur[j])
        if best > limit:
            return limit + 1
        prev_prev, prev = prev, cur
    return prev[-1]


def _fuzzy_hit(words: list[str]) -> str | None:
    candidates = list(words) + [a + b for a, b in zip(words, words[1:], strict=False)]
    for cand in candidates:
        if len(cand) < 6:
            continue
        for keyword, limit in _FUZZY_KEYWORDS.items():
            if _edit_distance(cand, keyword, limit) <= limit:
                return f"fuzzy:{keyword}"
    return None


@dataclass(frozen=True)
class Assessment:
    """The net's verdict: tier "crisis" (full referral), "check_in" (warm check-in) or None, and the rule."""

    tier: str | None
    reason: str | None


NO_SIGNAL = Assessment(None, None)


def _tier(rule: str) -> str:
    keyword = rule.split(":", 1)[-1]
    return CRISIS if rule in _CRISIS_RULES or keyword in _CRISIS_KEYWORDS else CHECK_IN


def _assess(text: str) -> Assessment:
    clauses = [normalize(part) for part in _CLAUSE_BREAK.split(text)]
    whole = normalize(text)
    if not whole:
        return NO_SIGNAL
    mild: str | None = None
    for norm in [whole, *clauses]:
        if not norm:
            continue
        for name, regex in _COMPILED:
            if regex.search(norm):
                if _tier(name) == CRISIS:
                    return Assessment(CRISIS, name)
                mild = mild or name
    # squashed: "z e l f m o o r d", "zelf moord", "ik wil dood" typed without spaces
    squashed = _collapse(_basic(text).replace(" ", ""))
    for keyword in _SQUASHED_KEYWORDS:
        if keyword in squashed:
            rule = f"squashed:{keyword}"
            if _tier(rule) == CRISIS:
                return Assessment(CRISIS, rule)
            mild = mild or rule
    fuzzy = _fuzzy_hit(whole.split())
    if fuzzy is not None:
        if _tier(fuzzy) == CRISIS:
            return Assessment(CRISIS, fuzzy)
        mild = mild or fuzzy
    if mild is None or _REASSURED.search(re.sub(r"[^a-z0-9]+", " ", fold(text))):
        return NO_SIGNAL
    return Assessment(CHECK_IN, mild)


@lru_cache(maxsize=4096)
def _assess_short(text: str) -> Assessment:
    return _assess(text)


def assess(text: str) -> Assessment:
    """How worried to be about a message: crisis, check-in or nothing. Reads at most MAX_ANALYSED_CHARS."""
    text = str(text or "")[:MAX_ANALYSED_CHARS]
    return _assess_short(text) if len(text) <= MAX_CACHED_CHARS else _assess(text)


def distress_reason(text: str) -> str | None:
    """The name of the rule that fired on `text` (either tier), or None when no signal is found."""
    return assess(text).reason


def is_distress(text: str) -> bool:
    """True when `text` shows any sign of distress, crisis or mild."""
    return assess(text).tier is not None
