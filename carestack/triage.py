"""Triage: what a post is (intent, sentiment) and where it goes (route, tier, priority).

``Triager(vip_followers, misroute).classify(text, followers, verified, segment)`` returns a
``Triage``. It is a keyword and leetspeak taxonomy plus vaderSentiment, with follower and VIP
rules for priority: good but deliberately not perfect, as real triage is (its measured
accuracy is in carestack/README.md). It never sees the harness's ground-truth labels.

Policy (a care-operations default, written down, not fitted):
  legal_threat, safety -> legal, tier 3, p1      security -> security, tier 3, p1
  media_inquiry        -> pr, tier 2, p2         purchase_intent -> sales, tier 1, p4
  complaint by a VIP (followers >= vip_followers, verified, or segment vip) -> care, tier 2, p2
  complaint, question, hidden_help -> care, tier 1, p3
  praise, noise -> no route (not queued, no reply)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

__all__ = ["INTENTS", "Triage", "Triager", "normalise_leet"]

INTENTS = ("complaint", "question", "praise", "noise", "purchase_intent", "hidden_help",
           "legal_threat", "safety", "security", "media_inquiry")

# Leetspeak digits and symbols back to letters, so "pwn3d", "hax0r", "w@r3z" match words.
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "@": "a", "$": "s", "5": "s",
                       "7": "t", "!": "i", "|": "l"})
_HANDLE = re.compile(r"(?<![\w@])@\w+")  # not the "@" inside leetspeak such as "w@r3z"
_URL = re.compile(r"https?://\S+")
_RETWEET = re.compile(r"^RT @\w+:\s*")
SENTIMENT_CACHE = 65536


def _words(*patterns: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(patterns) + r")\b")


# Each taxonomy is matched on lower-cased text with handles and links removed; the security
# one also on the leetspeak-normalised text.
_SECURITY = _words(
    r"pwn(?:ed|d|z)?", r"ha[xc]+(?:o|e)?rs?", r"hack(?:ed|er|ers|ing)?", r"war[ez]+",
    r"(?:data|security) breach", r"breached", r"data ?leak(?:ed)?",
    r"leak(?:ed)? (?:data|passwords?|emails?)",
    r"phish(?:ing)?", r"exploit(?:s|ed)?", r"vulnerabilit(?:y|ies)", r"0 ?day", r"zero ?day",
    r"sql ?injection", r"xss", r"credential(?:s)?", r"password dump", r"ransomware",
    r"account (?:was )?(?:taken over|compromised|hijacked)", r"compromised", r"malware",
    r"cracked", r"dox+(?:ed)?", r"skimm(?:er|ed|ing)",
    # exposure reports: what a security team's intake rules list besides "hacked"
    r"admin (?:panel|page|console)", r"exposed", r"open (?:database|bucket|server|port|api)",
    r"api keys?", r"tokens?", r"bug bounty", r"(?:responsible )?disclosure", r"idor",
    r"injection", r"backdoor", r"rce", r"ddos", r"botnet", r"dump(?:ed)?",
    r"unauthori[sz]ed access", r"can see (?:other|everyone|all|any)\w*",
)
_SAFETY = _words(
    r"unsafe", r"injur(?:y|ed|ies)", r"hurt", r"fire", r"smoke", r"emergency", r"danger(?:ous)?",
    r"bleeding", r"food poisoning", r"allerg(?:y|ic)", r"collapsed", r"ambulance",
    r"choking", r"burn(?:ed|t)", r"electric shock", r"overdose", r"unconscious", r"hazard",
    r"recall", r"sparks?", r"exploded", r"carbon monoxide",
)
_LEGAL = _words(
    r"lawyers?", r"attorneys?", r"sue", r"suing", r"lawsuit", r"legal action", r"court",
    r"small claims", r"class action", r"solicitors?", r"litigation", r"legal team",
    r"consumer (?:protection|law|rights)",
    r"breach of (?:\w+ )?law", r"ombudsman", r"regulator", r"trading standards",
    r"breach of contract",
    r"see you in court", r"my rights", r"cease and desist", r"ftc", r"dot complaint",
)
_MEDIA = _words(
    r"journalist", r"reporter", r"press (?:office|team|inquiry|enquiry)", r"for comment",
    r"comment (?:for|on) (?:a|our|my) (?:story|piece|article)", r"(?:our|my) (?:story|article)",
    r"writing (?:a|about)", r"newsroom", r"on (?:the )?record", r"editor", r"publication",
    r"media (?:inquiry|enquiry|request)", r"statement", r"interview", r"broadcast",
    r"news desk", r"producer",
)
_HIDDEN_HELP = _words(
    r"stranded", r"stuck (?:at|in|on)", r"no way (?:home|back)", r"nowhere to (?:stay|sleep|go)",
    r"with (?:my|two|three) (?:kids|children|baby|toddler)", r"wheelchair", r"medication",
    r"can'?t get home", r"need(?:s)? help", r"anyone (?:know|help)", r"alone (?:at|in)",
    r"elderly", r"disabled", r"pregnant", r"insulin", r"last (?:train|bus|flight)",
    r"running out of", r"battery (?:dying|low)", r"what do i do", r"no one (?:is )?answering",
)
_COMPLAINT = _words(
    r"declined", r"fail(?:s|ed|ing|ure)?", r"broken", r"worst", r"terrible", r"awful",
    r"refund", r"charged (?:twice|double|me)", r"not working", r"doesn'?t work", r"down",
    r"error", r"cancel+ed", r"delay(?:ed|s)?", r"fix (?:it|this)", r"ridiculous",
    r"unacceptable", r"still waiting", r"disgusted", r"useless", r"joke", r"rip ?off",
    r"never again", r"lost", r"missing", r"overcharged", r"rude", r"angry", r"furious",
    r"hours?", r"again", r"nobody", r"scam", r"crash(?:ed|es|ing)?", r"outage",
    r"wtf", r"sort (?:it|this) out", r"complain(?:t|ing)?", r"disappointed", r"frustrat\w*",
)
_QUESTION = re.compile(
    r"\?|^(?:how|what|when|where|why|who|which|can|could|is|are|does|do|will|should|any)\b"
    r"|\b(?:anyone know|wondering|any update|any news|is there|how do i|how long)\b"
)
_PURCHASE = _words(
    r"wish you (?:sold|had|made|offered)", r"would (?:buy|pay)", r"where (?:can|do) i buy",
    r"take my money", r"do you (?:sell|have|offer)", r"want to (?:buy|book|upgrade)",
    r"how much (?:is|does|for)", r"price of", r"in stock", r"pre-?order", r"gift cards?",
    r"please (?:bring back|sell|add)", r"upgrade to", r"sign me up",
)
_PRAISE = _words(
    r"thanks?", r"thank you", r"love", r"great", r"awesome", r"amazing", r"best", r"brilliant",
    r"kudos", r"shout ?out", r"excellent", r"well done", r"fantastic", r"legend",
)

_ROUTE_TIER = {"care": 1, "sales": 1, "pr": 2, "legal": 3, "security": 3}
_NEGATIVE = -0.35
_POSITIVE = 0.45


@dataclass(frozen=True, slots=True)
class Triage:
    """One triage decision; ``route`` is "none" for posts that need no answer."""

    intent: str
    sentiment: float
    route: str
    tier: int
    priority: str

    @property
    def respond(self) -> bool:
        """Whether the post goes to a queue for an agent's reply."""
        return self.route != "none"


def normalise_leet(text: str) -> str:
    """Lower-case ``text``, drop handles and links, and map leetspeak to letters."""
    return _URL.sub(" ", _HANDLE.sub(" ", text.lower())).translate(_LEET)


class Triager:
    """Classify posts; one instance per stack (it holds the VADER lexicon, about 1 MB)."""

    def __init__(self, vip_followers: int = 10000, misroute: dict[str, str] | None = None):
        vader = SentimentIntensityAnalyzer()
        # Storms repeat themselves (reposts, copy-paste complaints): cache VADER, the costliest
        # step, by text with any "RT @user: " prefix removed.
        self._sentiment = lru_cache(maxsize=SENTIMENT_CACHE)(
            lambda text: float(vader.polarity_scores(text)["compound"]))
        self._vip_followers = vip_followers
        self._misroute = dict(misroute or {})

    def intent(self, text: str, sentiment: float) -> str:
        """The intent of ``text`` given its VADER compound ``sentiment``; first match wins."""
        plain = _URL.sub(" ", _HANDLE.sub(" ", text.lower()))
        if _SECURITY.search(plain) or _SECURITY.search(plain.translate(_LEET)):
            return "security"
        if _LEGAL.search(plain):
            return "legal_threat"
        if _SAFETY.search(plain):
            return "safety"
        if _MEDIA.search(plain):
            return "media_inquiry"
        if _HIDDEN_HELP.search(plain):
            return "hidden_help"
        if _PURCHASE.search(plain):
            return "purchase_intent"
        complaint = _COMPLAINT.search(plain) is not None
        if complaint and sentiment < _POSITIVE or sentiment <= _NEGATIVE:
            return "complaint"
        if _QUESTION.search(plain.strip()):
            return "question"
        if sentiment >= _POSITIVE or _PRAISE.search(plain) and sentiment > 0:
            return "praise"
        return "noise"

    def classify(self, text: str, followers: int = 0, verified: bool = False,
                 segment: str | None = None) -> Triage:
        """Classify one post and decide its route, tier and priority."""
        sentiment = self._sentiment(_RETWEET.sub("", text, count=1))
        intent = self.intent(text, sentiment)
        vip = followers >= self._vip_followers or verified or segment == "vip"
        if intent in ("legal_threat", "safety"):
            route, priority = "legal", "p1"
        elif intent == "security":
            route, priority = "security", "p1"
        elif intent == "media_inquiry":
            route, priority = "pr", "p2"
        elif intent == "purchase_intent":
            route, priority = "sales", "p4"
        elif intent in ("complaint", "question", "hidden_help"):
            route, priority = "care", ("p2" if vip and intent == "complaint" else "p3")
        else:
            return Triage(intent, sentiment, "none", 0, "p4")
        tier = _ROUTE_TIER[route]
        if route == "care" and priority == "p2":
            tier = 2
        if route in self._misroute:
            # Fault knob: a deliberately wrong routing rule, e.g. legal threats sent to care.
            route = self._misroute[route]
            tier = _ROUTE_TIER[route]
        return Triage(intent, round(sentiment, 4), route, tier, priority)
