"""Industry-neutral text fragments for ``simulator.crowd.content``: data only.

Everything here must read right for any business: what belongs to one industry (its places,
staff, hazards, slang, baseline topics and its own templates) lives in that industry's pack
(``simulator/scenario/packs/<industry>.yaml``), and the templates below name it through pack words.

Placeholders: {b} brand name, {h} brand handle, {p} product, {topic}, {n} a small count,
{mins} minutes, {ref} a reference code, {day}, {amt} an amount, {city} (``COMMON_WORDS``,
replaceable); and the pack words
every pack defines (``SLOTS``): {site} where customers meet the business ("branch", "gate"),
{ref_kind} what a reference code identifies ("order", "booking"), {staff}, {hazard} (a
safety hazard without the word "danger"), {perk} (something sold or praised), {regulator},
{rumour} (what people repeat second-hand: the incident's topic on incident posts, one of
the pack's rumours on baseline posts).

An incident's ``topic`` is a headline written by the scenario's author ("card payment
declined at checkout", "diners ill after eating at the Leeds branch"): templates use it as
a sentence of its own, after a colon or in quotes, so a noun phrase and a clause both read.
"""

from __future__ import annotations

__all__ = [
    "ABBREVIATIONS",
    "CLOSERS",
    "COMMON_CORES",
    "COMMON_EXTRAS",
    "COMMON_TAILS",
    "COMMON_WORDS",
    "EMAIL_CLOSINGS",
    "EMAIL_GREETINGS",
    "FIELDS",
    "OPENERS",
    "QUOTE_COMMENTS",
    "SLOTS",
]

# Fields the renderer computes for every row (besides the pack's words).
FIELDS = ("b", "h", "p", "topic", "n", "mins", "ref", "day", "amt")
# Words with a default for every pack (a pack or a scenario's content: may replace them).
COMMON_WORDS: dict[str, tuple[str, ...]] = {
    "city": ("Lisbon", "Denver", "Oslo", "Austin", "Dublin", "Osaka", "Nairobi", "Quito", "Perth"),
}
# Words every pack must define: the common templates use them.
SLOTS = ("site", "ref_kind", "staff", "hazard", "perk", "regulator", "rumour")

COMMON_CORES: dict[str, tuple[str, ...]] = {
    "complaint": (
        "{topic} again, tried {n} times and nothing works.",
        "{topic}. I have been waiting {mins} minutes for anyone to fix this.",
        "your {p} is a mess today: {topic}.",
        "{ref_kind} {ref} is stuck because of this: {topic}. Unacceptable.",
        "nobody at {b} seems to care. {topic}.",
        "paid {amt} for the {p} and got this: {topic}.",
        "day {n} in a row: {topic}. Sort it out.",
        "on hold for {mins} min and then the line dropped. {topic}, still.",
        "I was charged twice ({amt}) and now this: {topic}.",
        "how hard can it be? {topic} since {day}.",
        "great, {topic}. love that for me.",
        "oh fantastic, {topic} again. thanks so much {b}, really.",
        "the {staff} at the {city} {site}: lovely. but {topic} and nobody can tell me why.",
        "10/10 customer experience: {topic}, then {mins} minutes of hold music.",
    ),
    "question": (
        "does anyone know if this will be fixed today? {topic}.",
        "can I still use the {p} while this is going on? ({topic})",
        "will I get the {amt} back? {topic}.",
        "what should I do about {ref_kind} {ref}? {topic}.",
        "how long until the {p} works again? Tried {n} times.",
        "any update on this: {topic}?",
        "who do I talk to about {ref_kind} {ref}? It has been {mins} minutes.",
        "is the {p} down for everyone or just me? {city} here.",
        "saw this going round: '{rumour}'. is that true?",
        "my sister says {rumour}, should I be worried?",
        "a friend sent me a screenshot, '{rumour}'. real or fake?",
    ),
    "praise": (
        "shoutout to the {staff} at the {city} {site}, lovely people.",
        "the new {p} is actually great, took {n} minutes to sort everything.",
        "credit where due: {b} fixed {ref_kind} {ref} in {mins} minutes.",
        "best {p} experience I have had in years, thanks {b}.",
        "really impressed, {b} answered me in {n} minutes.",
        "the {staff} in {city} went above and beyond today.",
        "the {perk} is worth every penny, no notes.",
    ),
    "noise": (
        "walked past the {b} {site} in {city} today, huge place.",
        "my cousin worked at {b} for {n} years, fun fact.",
        "that {b} advert with the dog is on again, {n}th time today lol.",
        "the {b} logo on that billboard in {city} is huge.",
        "random thought: the {b} hold music is a banger, {mins} minutes of it.",
        "{b} trending again in {city}, wonder why.",
        "why is everyone talking about {b} today lol",
        "my dad still calls every {site} in town 'the {b} one'.",
    ),
    "purchase_intent": (
        "would buy the {perk} in a heartbeat if it was under {amt}.",
        "thinking of getting the {perk}, worth it?",
        "if {b} brought back the old {perk} I would switch back tomorrow.",
        "why can't I buy gift cards for the {p}? Would get {n} of them.",
        "I wish {b} had a {site} in {city}.",
    ),
    "hidden_help": (
        "how long does a refund usually take to reach an account? {ref_kind} {ref}.",
        "is it possible to change {ref_kind} {ref} if someone is in hospital?",
        "what happens to the {ref_kind} if the person who made it passed away?",
        "can a refund of {amt} go to a different card? mine was blocked and rent is due.",
        "can I speak to someone in person at the {city} {site}? I don't manage online anymore.",
        "can someone else deal with {ref_kind} {ref} for me? I can't leave the house right now.",
        "quick question, is there a number to call after 10pm? it's for my mum, she is on her own.",
    ),
    "legal_threat": (
        "my lawyer will be in touch about this: {topic}.",
        "see you in small claims court over {ref_kind} {ref}.",
        "this is a breach of consumer law. {topic}. Expect a formal complaint.",
        "I am joining the class action, {n} of us so far. {topic}.",
        "formal notice: I will sue {b} for the {amt} I lost. {topic}.",
        "reported {b} to {regulator}, this is illegal: {topic}.",
    ),
    "safety": (
        "there was {hazard} at the {city} {site} and nobody did anything.",
        "{hazard} on {day}, the {staff} told us it was fine. this is dangerous.",
        "someone already got hurt: {hazard}. please check this.",
    ),
    "security": (
        "found an open admin panel on the {p}, anyone can see details like {ref_kind} {ref}.",
        "{b} got hacked? my account shows logins from {city} I never made.",
        "someone selling {b} accounts on a forum, {amt} each.",
        "phishing text pretending to be {b}, asks for card numbers and {ref_kind} {ref}.",
    ),
    "media_inquiry": (
        "reporter at the {city} Herald here, can {b} comment on this: {topic}? Deadline {day}.",
        "journalist covering this for a {city} paper ({topic}), please DM a press contact.",
        "we are running a story tonight: {topic}. does {b} have a statement?",
        "producer at a news desk, looking to speak to {b} about today's news: {topic}.",
    ),
}

COMMON_EXTRAS: dict[str, tuple[str, ...]] = {
    "complaint": ("{ref_kind} {ref}.", "I have screenshots.", "This cost me {amt}."),
    "question": ("{ref_kind} {ref}.", "Thanks in advance.", "Need to know by {day}."),
    "praise": ("Thanks again.", "Will be back.", "{ref_kind} {ref} was painless."),
    "noise": ("Anyway.", "Just saying.", "Lol."),
    "purchase_intent": ("Just saying.", "Take my money.", "Please?"),
    "hidden_help": ("Thank you.", "Sorry if this is the wrong place.", "{ref_kind} {ref}."),
    "legal_threat": ("{ref_kind} {ref}.", "I have kept every receipt.", "Last warning."),
    "safety": ("It was on {day}.", "Please check this.", "I have a photo."),
    "security": ("Check ur logs.", "Not joking.", "Sample: {ref}."),
    "media_inquiry": ("Thanks.", "Deadline is {day} 5pm.", "Happy to talk off the record."),
}

OPENERS: dict[str, tuple[str, ...]] = {
    "angry": ("Unbelievable.", "Seriously??", "Absolute joke.", "Furious right now.", "", "WTF"),
    "frustrated": ("Ugh.", "Again?", "Come on.", "Not again.", "", "Sigh."),
    "sad": ("Really upset.", "Heartbroken.", "So disappointed.", "", "Not a good day."),
    "neutral": ("", "", "Hi,", "Hello,", "Quick one:"),
    "happy": ("", "Wow!", "Love this.", "Yay,", "Big thanks!"),
}

CLOSERS: dict[str, tuple[str, ...]] = {
    "angry": ("Fix it!", "Disgraceful.", "Never again.", "Shame on you.", "", "Answer me!"),
    "frustrated": ("Please sort this.", "Any help?", "", "This is getting old.", "Fix pls."),
    "sad": ("I just want this sorted.", "", "Very sad about this.", "Please help."),
    "neutral": ("", "Thanks.", "Cheers.", ""),
    "happy": ("", "Thanks!", "Made my day.", ":)"),
}

EMAIL_GREETINGS = ("Hello {b} team,", "Dear {b},", "Hi there,", "To whom it may concern,")
EMAIL_CLOSINGS = ("Regards", "Kind regards", "Thanks", "Best", "Sincerely")
QUOTE_COMMENTS = (
    "This.",
    "Same here.",
    "Same.",
    "+1",
    "Me too",
    "lol",
    "Yep.",
    "100%",
    "Exactly.",
    "Not just you.",
    "Same in {city}.",
    "{n} of us now.",
    "Happening to me too.",
    "Heard the same from a friend.",
    "Is this true??",
)

# Appended to some short posts; picked independently of the rest, so they multiply variety.
# A pack adds its own community slang.
COMMON_TAILS = (
    "smh",
    "tbh",
    "fr",
    "rn",
    "(day {n})",
    "#help",
    "...",
    "again",
    "lol",
    "ffs",
    "pls",
    "{mins} min and counting",
    "anyone?",
    "update?",
    "via {city}",
    "ugh",
)

# Applied to short posts at random; keys are matched as substrings.
ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    (" you ", " u "),
    ("please", "pls"),
    ("because", "bc"),
    ("people", "ppl"),
    ("tomorrow", "tmrw"),
    ("thanks", "thx"),
    ("really", "rly"),
    (" your ", " ur "),
    ("minutes", "mins"),
    ("before", "b4"),
)
