"""Text fragments for ``simulator.content``: data only.

Placeholders: {b} brand name, {h} brand handle, {p} product, {topic}, {n} a small count,
{mins} minutes, {ref} a booking reference, {city}, {day}, {amt} an amount.
"""

from __future__ import annotations

__all__ = [
    "ABBREVIATIONS",
    "TAILS",
    "CLOSERS",
    "CORES",
    "EMAIL_CLOSINGS",
    "EMAIL_GREETINGS",
    "EXTRAS",
    "OPENERS",
    "QUOTE_COMMENTS",
    "TOPICS",
]

CORES: dict[str, tuple[str, ...]] = {
    "complaint": (
        "{topic} again, tried {n} times and nothing works.",
        "{topic}. I have been waiting {mins} minutes for anyone to fix this.",
        "your {p} is a mess today: {topic}.",
        "{n} attempts, {topic}, and the fare went up by {amt} while I waited.",
        "booking {ref} is stuck because of {topic}. Unacceptable.",
        "nobody at {b} seems to care that {topic}.",
        "paid {amt} for the {p} and got {topic} in return.",
        "day {n} in a row: {topic}. Sort it out.",
        "on hold for {mins} min about {topic} and then the line dropped.",
        "the {p} keeps failing, {topic}, and support just sends the same link.",
        "I was charged twice ({amt}) and {topic}.",
        "how hard can it be? {topic} since {day}.",
    ),
    "question": (
        "does anyone know if {topic} will be fixed today?",
        "can I still use the {p} while {topic}?",
        "is there a way to keep my fare for booking {ref} if {topic}?",
        "will I be refunded the {amt} if {topic}?",
        "what should I do about booking {ref}, {topic}?",
        "how long until the {p} works again? Tried {n} times.",
        "any update on {topic}? Flying to {city} on {day}.",
        "do I need to rebook or will {b} contact me about {ref}?",
        "who do I talk to about {topic}? It has been {mins} minutes.",
        "is the {p} down for everyone or just me? {city} here.",
    ),
    "praise": (
        "shoutout to the {b} crew on the {city} flight, lovely people.",
        "the new {p} is actually great, took {n} minutes to sort everything.",
        "credit where due: {b} fixed my booking {ref} in {mins} minutes.",
        "best {p} experience I have had in years, thanks {b}.",
        "{b} staff at the {city} desk went above and beyond today.",
        "smooth trip to {city}, the {p} worked perfectly.",
        "really impressed, {b} answered me in {n} minutes.",
    ),
    "noise": (
        "drove past the {b} office in {city} today, huge building.",
        "watching {b} planes land at {city} with a coffee, never gets old.",
        "my cousin worked at {b} for {n} years, fun fact.",
        "that {b} advert with the dog is on again, {n}th time today lol.",
        "the {b} logo on that billboard in {city} is huge.",
        "saw a {b} plane painted in the old colours on {day}.",
        "random thought: the {b} hold music is a banger, {mins} minutes of it.",
        "{b} trending again in {city}, wonder why.",
    ),
    "purchase_intent": (
        "I wish {b} flew direct to {city}.",
        "would buy the {p} upgrade in a heartbeat if it was under {amt}.",
        "when does the {b} sale start? Want {n} seats to {city}.",
        "if {b} brought back the old lounge I would fly them every week.",
        "thinking of getting the {p} pass, worth it?",
        "why can't I buy gift cards for the {p}? Would get {n} of them.",
    ),
    "hidden_help": (
        "how long does a refund usually take to reach an account? booking {ref}.",
        "is it possible to change booking {ref} if someone is in hospital?",
        "can someone else travel on my ticket {ref}? I can't leave the house right now.",
        "what happens to a booking if the person who made it passed away?",
        "my mum is stuck at {city} airport with no money, can the {p} be used for a hotel?",
        "do you keep wheelchairs at the {city} gate? asking for my dad, he fell on {day}.",
        "quick question, is there a number to call if I can't get home from {city} tonight?",
        "can a refund of {amt} go to a different card? mine was blocked and rent is due.",
    ),
    "legal_threat": (
        "my lawyer will be in touch about {topic}.",
        "see you in small claims court over booking {ref}.",
        "this is a breach of consumer law, {topic}. Expect a formal complaint.",
        "I am joining the class action over {topic}, {n} of us so far.",
        "formal notice: I will sue {b} for the {amt} I lost because {topic}.",
        "reported {b} to the regulator, {topic} is illegal.",
    ),
    "safety": (
        "there was a smell of smoke near the galley on the {city} flight and the crew ignored it.",
        "a passenger fainted on the {city} flight and nobody came for {mins} minutes.",
        "the overhead bin door would not close properly on the {city} flight.",
        "kids were left alone at the {city} gate after {topic}, is anyone in charge?",
        "the floor at the {city} lounge is flooded, someone already slipped.",
        "crew told us to ignore a warning light on {day}, this is dangerous.",
    ),
    "security": (
        "ur {p} got pwn3d, creds dumped on a w@r3z board.",
        "hax0r crew claims they own the {b} customer db, {n} GB for sale.",
        "found an open admin panel on the {p}, anyone can see bookings like {ref}.",
        "{b} got pwned? my account shows logins from {city} I never made.",
        "someone selling {b} accounts on a w@r3z forum, {amt} each.",
        "phishing sms pretending to be {b}, asks for card numbers and booking {ref}.",
    ),
    "media_inquiry": (
        "reporter at the {city} Herald here, can {b} comment on {topic}? Deadline {day}.",
        "journalist covering {topic} for a {city} paper, please DM a press contact.",
        "we are running a story on {topic} tonight, does {b} have a statement?",
        "producer at a news desk, looking to speak to {b} about {topic}.",
    ),
}

EXTRAS: dict[str, tuple[str, ...]] = {
    "complaint": (
        "Booking {ref}.",
        "I have screenshots.",
        "This cost me {amt}.",
        "Never had this with other airlines.",
        "I missed a meeting in {city} because of it.",
    ),
    "question": (
        "Booking {ref}.",
        "Thanks in advance.",
        "Travelling with {n} kids.",
        "Flight is on {day}.",
    ),
    "praise": ("Thanks again.", "Will fly again.", "Booking {ref} was painless."),
    "noise": ("Anyway.", "Just saying.", "Lol."),
    "purchase_intent": ("Just saying.", "Take my money.", "Please?"),
    "hidden_help": ("Thank you.", "Sorry if this is the wrong place.", "Booking {ref}."),
    "legal_threat": ("Booking {ref}.", "I have kept every receipt.", "Last warning."),
    "safety": ("Flight was on {day}.", "Please check this.", "I have a photo."),
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
    "sad": ("I just want to get home.", "", "Very sad about this.", "Please help."),
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
)

# Appended to some short posts; picked independently of the rest, so they multiply variety.
TAILS = (
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

TOPICS: dict[str, tuple[str, ...]] = {
    "complaint": (
        "my seat was changed without notice",
        "the refund never arrived",
        "the app logged me out mid-booking",
        "my bag went to the wrong city",
        "check-in closed early",
        "the lounge refused my pass",
    ),
    "question": (
        "the baggage allowance",
        "changing a flight date",
        "the refund status",
        "seat selection",
        "the loyalty points",
    ),
}

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
