"""The reading stage: what kind of answer a question asks for, about what, and which sentences hold one.

Similarity finds sentences *about* a question's topic; a person asking "how much" wants a sum of money, "when" a
date, "who" a name.  ``wants`` reads that kind and the question's focus (the words the figure or name is *of*) from
the question alone; ``reads`` says whether a sentence holds an answer of that kind and how much of the focus sits
beside it.  The composed answer prefers sentences that do, and a question whose top passages hold no answer of the
asked kind tied to its focus ("What was the trade deficit in 2023?" over passages with investment figures) is one
the papers do not answer.

Plain rules over the text: no packaged English NER model ships from its publisher as a wheel (the spaCy models on
PyPI are re-uploads by third parties), and these kinds are mostly shapes (``$14.8 billion``, ``38.7 percent``,
``1953``) that rules read exactly.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

from bm25s.stopwords import STOPWORDS_EN_PLUS

from . import synonyms
from .lexical import Lexical

# Kinds whose answer has a shape a sentence either holds or not: these can say "the papers give no such answer".
SHAPED = ("money", "percent", "number", "date", "person", "agent", "organisation", "place")
NAMES = ("person", "agent", "organisation", "place")
FIGURES = ("money", "percent", "number")
# Kinds without a shape whose answer a sentence still shows by its wording: they score, but never gate
TESTED = ("reason", "image", "effect", "example", "addition", "proposal", "list")
NOUNS = {  # what the abstention reason says is missing
    "money": "amount", "percent": "percentage", "number": "figure", "date": "date or year", "person": "name",
    "agent": "name", "organisation": "organisation", "place": "place",
}

_I = re.IGNORECASE
# What a question calls one paper, and a phrase naming one ("the Heritage issue brief", "the KIEP commentary").
_A_PAPER = r"(paper|brief|report|commentary|article|piece|document|study|analysis)"
_NAMING_A_PAPER = r"[\w.’' –-]{0,40}?" + _A_PAPER
# Question shapes, tried in order: the first that matches decides the kind.
_SUMMARY = re.compile(r"\b(summar\w*|main (points?|ideas?|arguments?|messages?|findings?|conclusions?)|key (points?|"
                      r"takeaways?|findings?|messages?)|gist|overview|tl;? ?dr|in a nutshell|run-?down|recap|synopsis|"
                      r"highlights of|sum (it |this |that )?up|boil (it |this |that )?down|"
                      r"what (are|were) (the|its|their) (\w+ ){0,3}(recommendations|proposals)|"
                      # "What are the three challenges or tasks the KIEP commentary sets out?": the points a paper
                      # enumerates ("What challenges does it identify?" asks for the problems it sees, wherever)
                      r"what (are|were) (the|its|their) (\w+ ){0,3}(challenges|tasks|steps|priorities|pillars)( that| "
                      r"which)? (the|this|that|its) " + _NAMING_A_PAPER + r" (sets? out|lays? out|outlines?|lists?)"
                      r"(?=\s*[?.!]?\s*$)|"
                      r"what is (the|this|that) (paper|brief|report|commentary|article|piece|document) about)\b|"
                      # "What does the Heritage paper argue?": what it says as a whole
                      r"\bwhat (does|do|did) (the|this|that|each|its|their) ([\w.’'-]+ ){0,3}(" + _A_PAPER +
                      r"|authors?) (argue|say|claim|contend|conclude|find|suggest|propose)\s*[?.!]?\s*$|"
                      # "... recommend?", "... the policy recommendations in the Heritage issue brief?"
                      r"\b(recommend(s|ed)?|recommendations|proposals)( (of|in|from|made by) " + _NAMING_A_PAPER +
                      r")?\s*[?.!]?\s*$|"
                      r"요약|요점|핵심|권고|제언|"
                      # "What does the brief recommend Washington do (with Seoul)?": what it recommends, whoever to
                      r"\bwhat (does|do|did) [^?]*\brecommends? (that )?(the )?((?-i:[A-Z])[\w.’'-]* ){1,3}"
                      r"(should )?do\b", _I)
_HEADING = re.compile(r"\b(section )?(heading|headline|subheading|section title)s?\b|\bunder which section\b|"
                      r"\bwhich section\b|제목|소제목", _I)
_REASON = re.compile(r"^\s*(why\b|how come\b)|\bwhat (is|was|are|were) the (reasons?|causes?|motives?|rationale)\b|"
                     r"\bfor what (reason|purpose)\b|\bwhat (is|was|are|were) the (purpose|aims?|goals?|objectives?)\b|"
                     r"\b(meant|intended|designed|supposed) to (do|accomplish|achieve|serve)\b|"
                     r"\bwhat( [\w-]+){0,2} (led|caused|drove|prompted|triggered|sparked|spurred|made)\b|왜|이유|원인", _I)
# "What driving image does the author use for ...?": a figure of speech, which a sentence that likens one thing to
# another holds ("the tariff regime resembles pressing both the accelerator and the brake")
# ("To which nation does it liken the bond?" asks for a place: the wh-word's noun decides)
_IMAGE = re.compile(r"\b(what|which)( [\w-]+){0,2} (analog(y|ies)|metaphors?|similes?|imagery|images?|"
                    r"figures? of speech)\b|\b(what|how) (does|do|did) [^?]*\blikens?\b", _I)
# "What chain reaction does the analyst fear?", "What could happen if tariffs rise?": what something would lead to,
# which a sentence that says what it risks, threatens or could bring about holds
_EFFECT = re.compile(r"\bwhat( [\w-]+){0,2} (effects?|impacts?|consequences?|outcomes?|results?|risks?|dangers?|"
                     r"(chain|knock-on) reactions?|fallout)\b|"
                     r"\bwhat (could|would|might|may|will) (happen|follow|result|ensue)\b|"
                     r"\bwhat (does|do|did) [^?]*\bfears?\b", _I)
# "Does it give a concrete example?": an instance, which a sentence that offers one holds ("For instance, ...")
_EXAMPLE = re.compile(r"\b(an?|any|some|one|concrete|specific|real|real-world|practical) (\w+ )?(examples?|instances?|"
                      r"cases? in point|illustrations?)\b", _I)
_DATE = re.compile(r"^\s*when\b|\b(what|which|in what) (year|date|month|day|decade)s?\b|\bsince when\b|언제|몇 ?년|연도",
                   _I)
# "What's the total ...?", typed "whats" in a hurry, asks as "What is the total ...?" does
_WHATS = re.compile(r"\b(what|who|where|when|how)(?:['’]s|s)(?=\s)", _I)
# "When the authors discuss X, what ...?", "If tariffs rise, how ...?": a clause before the one that asks.
_SCENE = re.compile(r"^\s*(when|whenever|if|while|once|as|after|before|given)\b[^,?]*,\s*(?=(what|which|who|whom|whose|"
                    r"how|where|when|why|is|are|was|were|does|do|did|can|could|should|would|will)\b)", _I)
# "I'm writing a memo on tariffs — what rate does KIEP give?", "KORUS FTA: when was it upgraded?": a clause that asks
# nothing itself, then a dash, colon, semicolon or full stop, then the clause that asks (a question word, or an
# auxiliary that opens a yes/no question)
_ASKS = (r"(what|which|who|whom|whose|how|where|when|why|in what|is|are|was|were|does|do|did|can|could|should|would|"
         r"will|has|have)\b")
_PREAMBLE = re.compile(r"^(?!\s*" + _ASKS + r")[^?]*?(\s[—–-]+\s|[—–:;]\s*|\.\s+)(?=" + _ASKS + ")", _I)
# Such a clause about the asker ("I'm writing a memo on tariffs", "for our strategy team") says what they are doing,
# and its words are no part of what the answer is about, unless the clause that asks points back at it
_ASKER = re.compile(r"\b(i|i['’]m|i['’]ve|i['’]d|my|me|mine|we|we['’]re|our)\b|"
                    # ... who they are ("Shipyard buyer here -") or what they ask for ("Quick check:", "Need a name:")
                    r"\bhere\s*[—–:;.,-]*\s*$|^\s*((quick|short|simple|fast|one|another|last|basic|small)\s+)?"
                    r"(question|check|query)\b|^\s*need (a|an|the|one|some)\b", _I)
# ... or before a comma, when it is about the asker ("Esteemed colleagues have asked me, and I now ask you, in what
# year ...?"): a comma alone sets off too much else ("In 2024, how much ...?") to end a clause on its own
_PREAMBLE_COMMA = re.compile(r"^(?!\s*" + _ASKS + r")[^?]*?,\s*(?=" + _ASKS + ")", _I)
_POINTS_BACK = re.compile(r"\b(it|its|they|them|their|this|that|these|those|he|him|his|she|her|there|then)\b", _I)
# "the TSMC founder cited in the KIEP commentary", "the summit mentioned in the brief": where the question found its
# subject, not a question about sources (unless it asks which report or outlet: "Which study is cited in the brief?")
_WHICH_SOURCE = re.compile(r"^\s*(which|what) ([\w-]+ )?(reports?|outlets?|newspapers?|stud(y|ies)|sources?|articles?|"
                           r"publications?|data|journals?|books?|papers?|documents?)\b", _I)
_IN_PAPER = re.compile(r"\b(cited|quoted|mentioned|named|discussed|described|noted) (in|by) (the |this |that |its )?"
                       + _NAMING_A_PAPER + r"\b", _I)
# "Which outlet is cited for ...", "Where was his estimate reported?": the answer is an endnote.
# ... and so is where its figures or words come from ("Where do those investment numbers come from?").
_SOURCE = re.compile(r"\b(cit(e|es|ed|ing)|sources?|reported|endnotes?|footnotes?)\b|출처|인용|각주|미주|보도|"
                     r"\b(numbers?|figures?|data|statistics|estimates?|quotes?|quotations?|claims?|information)\b[^?]*"
                     r"\b(come|comes|came|taken|drawn|obtained)\s+from\b|"
                     # "Where does KIEP get its FDI numbers from?", "where'd heritage get that stat about ..."
                     r"\b(get|gets|got|take|takes|took|draw|draws|drew|obtain\w*)\b[^?]*\b(numbers?|figures?|data|"
                     r"statistics|estimates?)\s+from\b|\bwhere(['’]d| did| does| do)\b[^?]*\b(get|gets|got|find|"
                     r"finds|found)\b[^?]*\b(stats?|statistics|numbers?|figures?|data|estimates?|claims?|quotes?)\b|"
                     # "where's that 38% stat from"
                     r"\bwhere(['’]s| is| are| do| does| did)\b[^?]*\b(stats?|statistics|numbers?|figures?|data|"
                     r"estimates?|claims?|quotes?)\b[^?]*\bfrom\b|"
                     # "What data does KIEP rely on for ...?", "which statistics is that based on"
                     r"\b(stats?|statistics|numbers?|figures?|data|estimates?)\b[^?]*\b(rel(y|ies|ied|ying)|based|"
                     r"draws?|drawn|drew)\s+(up)?on\b|"
                     # "Which agency's data backs the figure ...?", "whose numbers are those"
                     r"\b(stats?|statistics|numbers?|figures?|data|estimates?)\s+(backs?|backed|backing|supports?|"
                     r"supported|underpins?|underpinned)\b|\bwhose\s+(stats?|statistics|numbers?|figures?|data|"
                     r"estimates?)\b", _I)
# A part of a whole ("How much of its GDP ...", "What portion of ..."); "share" the noun ("What share of ...",
# "Korea's share"), not the verb ("What should they share?").
# ... and so is an amount measured against a whole ("Relative to the size of its economy, how much ...").
_OF_WHOLE = (r"\b(relative to|as a share of|in proportion to|compared (with|to))\s+(the size of\s+)?"
             r"(its|their|the|his|her|a|an)?\s*(economy|economies|gdp|economic output|budget|income|population)\b")
# "rate" the noun ("the tariff rate", "a rate of"), not the verb ("How does Heritage rate KORUS?")
_RATE = r"\b(the|a|an|its|their|what|which|this|that)\s+([\w-]+\s+)?rates?\b|\brates?\s+(of|on|for|in|at)\b"
_PERCENT = re.compile(r"\b(percent\w*|per cent|proportion|portion|fraction)\b|%|\bhow much of\b|\bshares? of\b|"
                      r"\b(slice|chunk|piece)s? of\b|"
                      + _RATE + "|"
                      r"\b(what|which|the|a|its|their|his|her|our|market|largest|biggest|smallest)\s+shares?\b|"
                      r"['’]s shares?\b|비율|퍼센트|비중|" + _OF_WHOLE, _I)
_HOW_MUCH = re.compile(r"\bhow (much|large|big|high)\b|\bwhat (amount|sum|value|level)\b|얼마|"
                       # "What did the plan cost?", "... and what did it pay?"
                       r"\bwhat (did|does|do|will|would|could|might) [^?]*\b(cost|pay|spend)(\s+(for|on)\b[^?]*)?"
                       r"\s*[?.!]?\s*$", _I)
_HOW_MANY = re.compile(r"\bhow many (?P<rest>[\w.’'-]+(?: [\w.’'-]+){0,3})", _I)
_UNITS = {"billions", "millions", "thousands", "trillions", "times", "dollars", "percent", "percentage", "points",
          "percentage-points", "won", "units"}
_MANY_OF_MONEY = re.compile(r"\bhow many (billions?|millions?|trillions?|dollars|won)\b", _I)
_LEVEL = re.compile(r"\bwhat (level|height|point)\b|\bhow high\b", _I)
# "How much more would it cost ...": a comparison, answered by a sum, a share ("50% more") or a multiple ("9.3 times")
_HOW_MUCH_MORE = re.compile(r"\bhow (much|many times) (more|less|extra|higher|lower|larger|smaller|greater|bigger|"
                            r"cheaper|costlier|dearer|pricier|faster|slower)\b", _I)
# ... and so is "How much would it cost ... compared with Taiwan?", which names the comparison later on
_COMPARED_WITH = re.compile(r"(?!" + _OF_WHOLE + r")\b(compared (with|to)|relative to|in comparison (with|to)|than|"
                            # "By how much did the US share exceed China's?": a margin, in any unit ("26.3 percent")
                            r"exceed(s|ed|ing)?|surpass(es|ed|ing)?|outstrip(s|ped|ping)?|outpac(e|es|ed|ing)|"
                            r"outnumber(s|ed|ing)?)\b", _I)
_MONEY_WORDS = re.compile(r"\b(invest\w*|spen[dt]\w*|costs?|fund\w*|pa(y|id)\w*|worth|value|dollars?|won|budget\w*|"
                          r"price\w*|revenue\w*|sales|exports?|imports?|deficits?|surplus\w*|billions?|millions?|"
                          r"money|aid|subsid\w*|capital|gdp|trade)\b|투자|달러|원|금액|적자|흑자", _I)
# "What was the trade deficit ...": a quantity named by its noun, not by "how much".
_QUANTITY = re.compile(r"\bwhat (is|was|are|were) (the |its |their )?([\w.’'–-]+ ){0,4}(deficits?|surplus\w*|values?|"
                       r"totals?|sizes?|costs?|budgets?|prices?|gdp|volumes?|amounts?|sums?|revenues?|output|"
                       r"populations?|figures?|counts?|tariffs?)\b", _I)
# A question with no question word that names such a quantity asks for it ("us trade deficit w korea last yr?")
_ASKS_NOTHING = re.compile(r"\b(what|which|who|whom|whose|when|where|why|how|is|are|was|were|do|does|did|can|could|"
                           r"will|would|should|has|have|had)\b|^\s*(list|name|explain|describe|tell|give|show|"
                           r"summari[sz]e|compare)\b", _I)
_QUANTITY_NOUN = re.compile(r"\b(deficits?|surplus\w*|totals?|budgets?|prices?|volumes?|revenues?)\b", _I)
_NUMBER = re.compile(r"\bhow many\b|\b(what|which) (numbers?|figures?|counts?|totals?)\b|\bnumber of\b|몇|개수", _I)
# "Who estimated ...", "Who will host ...": who did something, which a country or an agency does as well as a person
# ("Who is ...?" asks for a person).
_AGENT = re.compile(r"^\s*(and |so |but )?who\s+(?!(is|are|was|were)\b)[a-z]", _I)
# "Which official said ..." asks for a person; "What official label ..." does not ("official" qualifies a noun).
_PERSON = re.compile(r"^\s*(who|whom)\b|\bwhose\b|\b(what|which) (person|people|president|minister|secretary|leader|"
                     r"author|authors|writer|scholar|expert|ambassador|ceo)\b|\bwho\b|누구|저자|필자|"
                     r"\b(what|which) officials?(\s*[?.]|\s+(is|was|are|were|has|have|had|did|does|do|will|would|"
                     r"could|can|said|told|wrote|spoke|\w+ed|\w+s)\b)", _I)
# "Who, rather than the state, drives progress?": the answer is of the kind of what it is set against, here no name
# ... and so is "governments or business?", a choice between things that are no names
_NOT_A_NAME = re.compile(r"\b(rather than|instead of|if not|other than|as opposed to)\s+((the|a|an|its|their)\s+)?"
                         r"(?-i:[a-z])|(?<![\w-])(?-i:[a-z][\w-]+) or (the |a |an )?(?-i:[a-z][\w-]+)\s*[?.!]?\s*$", _I)
# "Which Korean company ...", and "What is the name of the company that ...": the noun says what kind of name.
_ORGANISATION = re.compile(r"\b((what|which) |name of (the |a |an |that |this )?([\w-]+ ){0,3}?)"
                           r"((?-i:[A-Z][\w.’'-]*) ){0,3}(?P<noun>compan\w*|firms?|organi[sz]ations?|institut\w*|"
                           r"think[- ]tanks?|agenc\w*|banks?|shipyards?|groups?|publishers?|corporations?|ministr\w*|"
                           r"departments?|alliances?|blocs?|conglomerates?|chaebols?|(auto|car|chip)?makers?|"
                           r"manufacturers?|producers?)\b|기관|기업|회사", _I)
_PLACE = re.compile(r"^\s*(and |or |but )?where\b|\b(what|which) ((?-i:[A-Z][\w.’'-]*) ){0,3}"
                    r"(?P<noun>countr\w*|states?|cit(y|ies)|regions?|nations?|places?|locations?|provinces?|"
                    r"continents?)\b|어디|어느 나라", _I)
_LIST = re.compile(r"\b(list|name (the|some|all)|what (are|were) the|which (sectors?|industr\w*|areas?|fields?|"
                   r"steps?|measures?|policies|tasks?|initiatives?))\b|\b(what|which) ([\w-]+ )?(steps|measures|"
                   r"actions|reprisals|sanctions|penalties|restrictions|moves|things)\b|"
                   # what someone did in answer to something: the several things done ("what did Beijing do to
                   # punish Korea", "how did China retaliate")
                   r"\b(what did ([\w.’'-]+ ){1,3}do (to|about|against|in (response|retaliation))|how did ([\w.’'-]+ )"
                   r"{1,3}(punish|retaliate|respond|react|hit back|get back))\b", _I)
# "What is X?" asks what X is, but "What was it like before 2016?" names no X: it asks the last question again.
_DEFINITION = re.compile(r"^\s*what (is|are|was|were) (?!(it|that|this|they|those|these)\b)(an? |the )?[\w–-]+"
                         r"( [\w–-]+){0,3}\s*[?.!]?\s*$|\bdefin\w*\b|"
                         r"\bwhat does .+ (mean|stand for)\b|\bmeaning of\b|^\s*(explain|describe|define)\b|"
                         r"무엇인가|뜻", _I)
_RECOMMEND = re.compile(r"recommend|propos|should|policy|action|agenda|\burg(e|es|ed|ing)\b|advocat|\bcalls? for\b|"
                        r"\b(tasks|steps|priorities|pillars|challenges)\b|"  # "the challenges and tasks it lays out"
                        r"\bwants?\b|제안|제언|권고|권장|촉구", _I)
# Two questions in one: a second question word after "and", or a second question mark.  The kind read from the first
# says nothing of the second, and the focus mixes both.
_COMPOUND_JOIN = re.compile(r"[,;]?\s+and\s+(?=(what|which|who|whom|whose|when|where|why|how)\b)", _I)
_COMPOUND = re.compile(_COMPOUND_JOIN.pattern + r"|\?\s*\S[^?]*\?", _I)
_YESNO = re.compile(r"^\s*((and|but|so|or|also) )?(is|are|does|do|did|can|could|will|would|should|has|have|was|were)\b",
                    _I)
# A comparison of the papers names them together ("both papers", "the two briefs", "each report") or sets them against
# each other with a comparing word and the papers (in the plural, or each named), or a pronoun standing for them,
# beside it ("How do they differ?").
# A comparing word alone compares things the papers discuss: "both the US and China", "compared with NATO members",
# "trade agreements".
_PAPERS = (r"(papers?|documents?|reports?|briefs?|pieces?|sources?|commentar(y|ies)|articles?|studies|texts?|"
           r"publications?|authors?|think[- ]tanks?|institut\w+)")
_TOGETHER = re.compile(r"\b(both|two|each|either|all)( \w+)? " + _PAPERS + r"\b|\bwhich (paper|document|report|brief|"
                       r"piece|source|commentary|article)\b[^?]*\b(more|less|better|worse|most|least)\b|"
                       r"비교|차이|두 (보고서|논문|문서)|공통", _I)
_CONTRAST = re.compile(r"\b(compar\w*|differ\w*|contrast\w*|versus|vs\.?|in common|agree(s|d|ing)?|disagree\w*|"
                       r"similar\w*|alike)\b", _I)
_THEM = re.compile(r"\b(they|them|each other|one another|papers|documents|reports|briefs|pieces|sources|commentaries|"
                   r"articles|studies|texts|publications|authors|think[- ]tanks|institutes|institutions)\b", _I)
# A query typed as keywords ("korus ratification date", "3SI member count") says what it asks for by a kind's noun at
# its start or end, with no question word anywhere
_KEYWORDS = r"^(?!.*\b(what|which|who|whom|whose|when|where|why|how)\b)(?!\s*(is|are|was|were|does|do|did|can|could|" \
            r"should|would|will|has|have)\b)"
_KEYWORD_DATE = re.compile(_KEYWORDS + r"(\s*(date|year)\b|.*\b(date|year)s?\s*\??\s*$)", _I)
_KEYWORD_AMOUNT = re.compile(_KEYWORDS + r"(\s*(amount|price|cost|value|sum)\b|.*\b(amount|price|cost|value|sum|total)"
                             r"\s*\??\s*$)", _I)
_KEYWORD_COUNT = re.compile(_KEYWORDS + r"(\s*(number|count) of\b|.*\b(number|count|how many)\s*\??\s*$)", _I)
# ... and one for a person by the role's noun at its end or after "name of" ("kiep commentary author?", "Name, please,
# of the Heritage brief's lead author."): a paper's author, for ``catalogue.asked`` too
KEYWORD_PERSON = re.compile(_KEYWORDS + r"(.*\b(authors?|writers?|byline)\s*[?.!]*\s*$|\s*names?\b[^?]*\b(authors?|"
                             r"writers?)\b)", _I)
# Which of the authors ("the lead author", "co-author"): a byline names them all alike.  ("The first author" is left:
# after a byline, a conversation reads it as the first name, ``conversation.resolve``.)
_AUTHOR_RANK = re.compile(r"\b(lead|main|principal|primary|senior|co)[ -](?=authors?\b)", _I)
# Question shapes in the order tried: the first that matches decides the kind ("amount": money or a plain number,
# by the question's words).  "Which agency's share" asks for the agency, so organisations come before percentages.
_KINDS: tuple[tuple[Callable[[str], object], str], ...] = (
    (_HEADING.search, "heading"), (_SUMMARY.search, "summary"), (_REASON.search, "reason"),
    (_IMAGE.search, "image"), (_EFFECT.search, "effect"),
    (_EXAMPLE.search, "example"), (_DATE.search, "date"),
    (lambda q: _SOURCE.search(q) and not (_HOW_MUCH.search(q) or _NUMBER.search(q)), "source"),
    (lambda q: _HOW_MUCH_MORE.search(q) or (_HOW_MUCH.search(q) and _COMPARED_WITH.search(q)), "number"),
    (_ORGANISATION.search, "organisation"), (_PLACE.search, "place"),
    (lambda q: _PERCENT.search(q) and not _PERSON.search(q), "percent"),
    (_HOW_MUCH.search, "amount"), (_QUANTITY.search, "amount"), (_NUMBER.search, "number"),
    (lambda q: _QUANTITY_NOUN.search(q) and not _ASKS_NOTHING.search(q), "amount"),
    (lambda q: _AGENT.search(q) and not _NOT_A_NAME.search(q), "agent"),
    (lambda q: _PERSON.search(q) and not _NOT_A_NAME.search(q), "person"), (_LIST.search, "list"),
    (_DEFINITION.search, "definition"), (_YESNO.search, "yesno"),
    (_KEYWORD_DATE.search, "date"), (_KEYWORD_AMOUNT.search, "amount"), (_KEYWORD_COUNT.search, "number"),
    (KEYWORD_PERSON.search, "person"),
)
# A decade ("the 2000s", "the mid-2010s") is no focus word: "2010s" is in no text that says "2015", and
# ``query.number_match`` matches it by any year in it.  A year or a figure stays: a sentence that names it is about it.
_A_NUMBER = re.compile(r"((early|mid|late)-)?\d+['’]?s", _I)
YEARS = r"(?:1[89]|20)\d\d"
# A year asked from one side: "before 2016" is answered by 2000-2015, "since 2016" by 2017 on (``query.number_match``),
# so neither the year nor the word before it is a focus word a sentence must spell
BEFORE_YEAR = re.compile(rf"\b(?:before|prior to|until|till|up to|earlier than)\s+({YEARS})\b", _I)
AFTER_YEAR = re.compile(rf"\b(?:after|since|later than)\s+({YEARS})\b", _I)
# A word of a question as the focus takes it: "Korea's", "non-NATO", "U.S." and "3SI" are one each
WORD = re.compile(r"[A-Za-z0-9][\w’'.–-]*[\w]|[A-Za-z0-9]")
_POSSESSIVE = re.compile(r"['’]s$", _I)
# "where'd", "who've", "they're": a contraction's tail adds no subject to the word it follows
_CONTRACTED = re.compile(r"['’](d|ve|re|ll|m)$", _I)
# Words that say what shape an answer takes (or where to look), not what it is about: never the focus.
_NOT_FOCUS = {
    "much", "many", "large", "big", "high", "amount", "sum", "value", "level", "number", "figure", "count", "total",
    "percent", "percentage", "share", "proportion", "portion", "fraction", "rate", "year", "date", "month", "day",
    "decade", "person",
    "people", "name", "names", "list", "reason", "reasons", "cause", "paper", "papers", "brief", "report", "image",
    "images", "imagery", "analogy", "analogies", "metaphor", "metaphors", "simile", "similes", "effect", "effects",
    "impact", "impacts", "consequence", "consequences", "outcome", "outcomes", "happen", "fear", "fears",
    "example", "examples", "instance", "instances", "concrete", "specific",
    "commentary", "article", "piece", "document", "documents", "say", "says", "said", "according", "mention",
    "mentioned", "mentions", "give", "given", "state", "states", "stated", "note", "noted", "cite", "cited", "describe",
    "described", "estimate", "estimated", "write", "wrote", "written", "authors", "author", "there",
    # verbs and particles that carry the question's grammar, not its subject
    "do", "does", "did", "done", "doing", "come", "comes", "came", "go", "goes", "went", "gone", "put", "puts", "have",
    "has", "had", "make", "makes", "made", "get", "gets", "got", "take", "takes", "took", "could", "would", "should",
    "may", "might", "must", "can",
    "will", "so", "far", "than", "from", "those", "these", "this", "that", "it", "its", "up", "try", "tried", "also",
    "start", "beginning", "end", "first", "according", "mentions", "appear", "appears", "kind", "type", "sort",
    "whose", "whom", "way", "ways", "thing", "things", "one", "ones", "else", "since", "been", "being", "about",
    "some", "any", "either", "neither", "anything", "something", "everything", "nothing", "anyone", "someone",
    "exact", "precise",
    "roughly", "approximately", "nearly", "almost", "exactly", "precisely",
    "rather", "per", "view", "regard", "regards", "consider", "considers", "call", "calls", "called", "use", "uses",
    "used", "describe", "describes", "portray", "portrays", "see", "sees", "think", "thinks", "believe", "believes",
    "he", "him", "his", "she", "her", "hers", "they", "them", "their", "theirs", "other", "two", "both", "each",
    "compare", "compared", "comparison", "differ", "differs", "difference", "differences", "country", "countries",
    "years", "dates", "figures", "amounts", "numbers", "reports", "briefs", "persons", "names", "summarize",
    "summarise", "summary", "main", "points", "gist", "recommend", "recommends", "recommendations",
    # where in a paper to look, and the verbs that ask what it says there
    "section", "sections", "heading", "headings", "headline", "subheading", "title", "titled", "under", "argue",
    "argues", "argued", "argument", "discuss", "discusses", "discussed", "introduce", "introduces", "introduced",
    "talk", "talks", "outlet", "outlets", "newspaper", "newspapers", "source", "sources", "reported", "cites",
    "citing", "journal",
    # a request's own words: "I want to know who founded TSMC", "Tell me about ...", "Explain ..."
    "i", "me", "my", "want", "know", "tell", "please", "explain", "describe", "like", "i'd", "i’d", "i'm", "i’m",
    "you", "your",
    # and what a chat puts around it: "ok and what does the first author do there?"
    "ok", "okay", "hmm", "thanks", "thank", "hi", "hey", "well", "now", "whats", "whos", "hows", "wheres", "whens",
    # the kind's own words ("How much money ...?", "How many items ...?", "What does it suggest instead?")
    "money", "items", "kinds", "types", "sorts", "suggest", "suggests", "suggested", "propose", "proposes",
    "proposed", "urge", "urges", "advocate", "advocates", "instead",
    # prepositions the stopword list below lacks: they relate the focus words, they are none of them
    "toward", "towards", "unlike", "among", "amongst", "within", "across", "upon", "via", "without", "versus", "vs",
    "despite", "amid", "around", "along", "alongside", "beside", "beyond", "throughout", "regarding", "concerning",
    "onto", "w",
} | set(STOPWORDS_EN_PLUS)

# "How does Korea's spending stack up against the benchmark some European allies miss?": what follows "against"
# is what the figure is set beside, not whose it is.
_AGAINST = re.compile(r"\b(than|against|compared (with|to)|relative to|versus|vs\.|unlike)\b(?P<what>[^,?;]*)", _I)
_EXACT = re.compile(r"\b(exact(ly)?|precise(ly)?)\b", _I)
# A figure said only as a bound ("well above 2 percent"), which gives no value; an approximation ("roughly $2.3
# billion") gives one
_BOUND = re.compile(r"\b((well|far|just|slightly) )?(above|over|below|under|more than|less than|fewer than|at least|"
                    r"at most|up to|upwards of|in excess of)\s*(US)?\$?\s*$", _I)
# "Besides commercial nuclear plants, what ...": what follows "besides" is what the answer is not, so no focus.
_BESIDES = re.compile(r"\b(besides|other than|apart from|aside from|except( for)?|in addition to)\b[^,?;]*", _I)

# Answer shapes in a sentence.
_MONEY_SHAPE = re.compile(r"(\$|US\$|USD ?|₩|KRW ?)\s?\d|\d[\d,.]*\s?(billion|million|trillion|thousand)?\s?"
                          r"(dollars|won)\b|\d[\d,.]*\s?(billion|million|trillion)\b", _I)
_PERCENT_SHAPE = re.compile(r"\d[\d,.]*\s?(%|percent\b|per cent\b|percentage points?\b)", _I)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)s?\b")
_MONTH = re.compile(r"\b(January|February|March|April|May|June|July|August|September|October|November|December)\b")
_NUMBER_SHAPE = re.compile(r"\b\d[\d,.]*\b|\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
                           r"dozens?|hundreds?|thousands?)\b", _I)
_FIGURE_SHAPES = {"money": _MONEY_SHAPE, "percent": _PERCENT_SHAPE, "number": _NUMBER_SHAPE}
# Numbers that count nothing: an endnote's or a list's own number, a citation's volume, issue and pages, a web
# address, the day of a date.  "5. U.S. Department of Defense ..., Vol. 89, No. 37" gives no figure.
_NOT_A_FIGURE = re.compile(r"^\s*\[?\d+[.)\]]\s|https?://\S+|\b(Vol|No|pp?|Nos)\.\s?\d[\d,–-]*|"
                           r"\b(January|February|March|April|May|June|July|August|September|October|November|"
                           r"December) \d{1,2}\b")
# A citation: a web address, an access date, a quoted title, a volume, issue or pages ("Vol. 89, No. 37", "pp. 102"),
# or a list of its parts with no verb ("Ministry of Finance, annual investment report, 2024.").  An endnote with a
# verb and none of these is prose ("There are 28 RDP agreements with the following countries: ...").
_CITATION = re.compile(r"https?://|\bwww\.|\baccessed\b|[“\"][^”\"]{8,}[”\"]|\b(Vol|No|pp?|Nos)\.\s?\d", _I)
_FINITE = re.compile(r"\b(is|are|was|were|has|have|had|will|would|can|could|may|might|must|do|does|did|should)\b",
                     _I)
# A sentence that gives a cause or a purpose: what "why" asks for.
# ... or names what set it off ("after 2016, when tensions over the deployment of ... strained relations")
_BECAUSE = re.compile(r"\b(because|since|as a result|due to|owing to|thanks to|driven (largely )?by|caus(e|es|ed|ing)|"
                      r"led to|leads? to|result(s|ed)? (in|from)|stem(s|med)? from|so that|in order to|given|amid|"
                      r"aim(s|ed)? (at|to)|(meant|intended|designed) to|seek(s)? to|"
                      r"therefore|thus|hence|in (response|reaction) to|in the wake of|"
                      r"(trigger|prompt|spark|spurr?|fuel)(s|ed)?|(tensions?|disputes?|frictions?|conflicts?|rows?|"
                      r"clash(es)?) (over|about|with)|strain(s|ed)?)\b", _I)
_LEADS_TO = re.compile(r"\b(risk(s|ed|ing)?|threat(en)?\w*|danger\w*|potentially|consequences?|domino|backfire\w*|"
                       r"could (lead|result|trigger|disrupt|undermine|erode|weaken|hurt|harm|cause)|"
                       r"(lead(s|ing)?|led|contribut(e|es|ed|ing)) to|caus(e|es|ed|ing)|result(s|ed|ing)? in|"
                       r"(bring|brings|brought) about)\b", _I)
# "What do they want instead?", "What does it propose for ...?": what a paper prescribes, which a sentence that says
# what should be done holds ("It is time to design ...", "Washington should ...")
_PROPOSAL = re.compile(r"\b(recommend\w*|propos\w*|suggest\w*|urg(e|es|ed|ing)|advocat\w*|calls? for|prescrib\w*|"
                       r"instead|push(es|ed|ing)? for)\b|\bshould (\w+ ){0,3}do\b|\bwhat (is|are) (needed|required)\b",
                       _I)
_PRESCRIBES = re.compile(r"\b(should|must|need(s)? to|ought to|it is (time|essential|critical|necessary|important|"
                         r"imperative|vital) (to|that)|recommend\w*|propos\w*|calls? for|urg(e|es|ed)|would do well)\b|"
                         # ... and so does an item of a list of them ("... should work with Seoul by: - Encouraging")
                         r"^\s*[-*•‣◦–]\s", _I)
_ADDS = re.compile(r"\b(also|as well|in addition|additionally|besides|beyond|moreover|furthermore)\b", _I)
_INSTANCE = re.compile(r"\b(for (example|instance)|such as|e\.g\.|a case in point|exemplif\w*|illustrat\w*)\b", _I)
_LIKENS = re.compile(r"\b(resembl\w*|akin to|as if|as though|like (a|an)|likened|analogous|reminiscent|"
                     r"metaphor\w*|the equivalent of)\b|^\W*like\b", _I)
# A sentence that names several things: "measures, including bans on group tours, restrictions on chartered flights
# and cruises, and prohibitions on ...", "such as shipbuilding, nuclear energy, pharmaceuticals, and AI"
_ENUMERATES = re.compile(r"\b(including|such as|namely|among them)\b|,[^,.;]+,[^,.;]+,?\s(and|or)\b", _I)
# The wording that shows each of the TESTED kinds in a sentence
_WORDING = {"reason": _BECAUSE, "image": _LIKENS, "effect": _LEADS_TO, "example": _INSTANCE, "addition": _ADDS,
            "proposal": _PRESCRIBES, "list": _ENUMERATES}
_CAPITALISED = r"[A-Z][a-zA-Z’'&.-]+"
_NAME_RUN = re.compile(rf"(?<![.!?] )(?<!^)\b{_CAPITALISED}(?: (?:of |for |and |the |de |van )?{_CAPITALISED})*")
_TITLE = re.compile(r"\b(President|Secretary|Minister|Ambassador|Senator|Chairman|CEO|Dr|Mr|Ms|Mrs|Professor|"
                    r"Governor|Representative)\.? [A-Z][a-z]+")
# A sentence that says what something is: a copula before a noun phrase, or a verb that names a purpose or an origin.
_DEFINES = re.compile(r"\b(is|are|was|were)\s+(an?|the|one|also)\b|\b(refers? to|means|stands? for|known as|"
                      r"(was|were) (launched|founded|established|created|set up|designed)|aims? (to|at))\b", _I)
# Overlapping (a lookahead), so "Later Morris Chang" is also read from "Morris".
_FULL_NAME = re.compile(r"(?=\b([A-Z][a-z]+)(?: [A-Z]\.)? ([A-Z][a-z]+)\b)")
_ORGANISATION_WORDS = (r"\b(Institute|Foundation|Department|Ministry|Agency|Bank|Corporation|"
                                 r"Company|Co\.|Inc\.|Group|Council|Commission|Administration|Office|Organi[sz]ation|"
                                 r"Forum|Shipyard|Association|University|Center|Centre|Treaty Organization|Union|"
                                 r"Motors?|Electronics|Steel|Heavy Industries|Initiative)\b")
_ORGANISATION_SHAPE = re.compile(r"\b[A-Z]{2,}\b|" + _ORGANISATION_WORDS)
_NAMED_ORGANISATION = re.compile(_ORGANISATION_WORDS)  # without bare acronyms ("US", "FTA"), which name no one


# A tail that only says a word is about a name ("Navy-related", "Korea-based"); one that says more stays: a
# "Korean-made" car is not any Korean car
_NAME_TAIL = re.compile(r"(?<=[A-Za-z0-9])-(related|based|focused|linked|oriented|centered|centred|centric|style|"
                        r"type|like|era|specific|affiliated|aligned|connected|associated)$")


_NAME_JOINS = re.compile(r"\s+(?:(?:of|for|the|de|van)\s+)?", _I)


def name_runs(question: str, names: Collection[str]) -> list[str]:
    """The question's names as it writes them: runs of its name words (``names``) next to each other or joined by one
    small word ("Inflation Reduction Act", "Department of Defense").  "KORUS against other American" is two, and so
    is "CHIPS and Science Act": "and" joins two names as often as it stands inside one."""
    runs: list[str] = []
    start = end = 0
    for m in WORD.finditer(question):
        if m.group() not in names:
            continue
        if runs and _NAME_JOINS.fullmatch(question[end:m.start()]):
            runs[-1] = question[start:m.end()]
        else:
            start = m.start()
            runs.append(m.group())
        end = m.end()
    return runs


def without_possessive(word: str) -> str:
    """The word a possessive is of ("Japan's" -> "Japan")."""
    return _POSSESSIVE.sub("", word)


def name_of(word: str) -> str:
    """The name in a word that a hyphen joins to a tail saying only that something is about it ("Navy-related" ->
    "Navy", "Korea-based" -> "Korea"); any other word as it is ("US-Korea", "non-NATO", "Korean-made")."""
    return _NAME_TAIL.sub("", word)


@dataclass(frozen=True)
class Wants:
    """What a question asks for: the kind of answer, what it is *of*, whether it compares documents."""

    # one of SHAPED, or "heading", "summary", "source", "reason", "image", "effect", "example", "addition", "proposal",
    # "list", "definition", "yesno", "other"
    kind: str
    focus: tuple[str, ...]  # the focus words as the question writes them, in order (for the reason)
    focus_terms: tuple[str, ...]  # the same as index terms (stemmed), for overlap
    compare: bool  # it asks about both (or all) papers
    recommends: bool = False  # it asks what is recommended or proposed
    doer: str | None = None  # for a figure: the name doing what it is a figure of ("did China invest": ``doer``)
    compound: bool = False  # it asks two things at once ("Which shipyard ..., and what proposal ...?")
    # names the figure is measured against, not the figure's own ("the benchmark some European allies miss")
    measured_against: tuple[str, ...] = ()
    exact: bool = False  # it asks for a figure exactly ("What exact percentage ...?"): "well above 2 percent" is none
    # the noun a name question asks for ("Which American shipyard ...?": "shipyard"), which may be part of the name
    noun: str | None = None
    # what a count, rate or share is of ("How many American jobs ...?": "jobs"; "What tariff rate does the US apply
    # to Korean cars?": "cars"): a figure of something else is no answer
    counted: str | None = None
    how_many: bool = False  # ``counted`` is what the question asks the number of ("How many jobs ...?")

    @property
    def shaped(self) -> bool:
        return self.kind in SHAPED

    @property
    def names(self) -> tuple[str, ...]:
        """The focus words with a capital: the question's names ("3SI" is one too)."""
        return tuple(word for word in self.focus if any(c.isupper() for c in word))


def asking(question: str) -> str:
    """The clause of ``question`` that asks, without a clause before it that sets the scene ("For my essay on
    tariffs: what rate ...?" asks "what rate ...?")."""
    asked = _PREAMBLE.sub("", question)
    if asked == question and (m := _PREAMBLE_COMMA.match(question)) and _ASKER.search(m.group()):
        return question[m.end():]
    return asked


def any_author(question: str) -> str:
    """The question with an author's rank left out ("Who is the lead author?" -> "Who is the author?"): a paper's
    byline and biographies name its authors alike, and "lead" would only find "leading"."""
    return _AUTHOR_RANK.sub("", question)


def own_focus(question: str) -> str:
    """The part of ``question`` whose words are what the answer is about: the clause that asks, when the one
    before it is about the asker ("I'm writing a memo on tariffs: ...") and it does not point back at it; the whole
    question otherwise ("3SI: how many member nations?", "KORUS FTA: when was it upgraded?")."""
    asked = asking(question)
    scene = question[: len(question) - len(asked)]
    return asked if _ASKER.search(scene) and not _POINTS_BACK.search(asked) else question


def kind_of(question: str) -> str:
    """The kind of answer a question asks for, from its wording alone ("under which section heading ..." asks for
    a title whatever else it asks about).  A clause that only sets the scene ("When the authors discuss energy
    trade, what ...?", "I'm writing a memo on tariffs: when ...?") is not the question: it is read from the clause
    that asks."""
    question = _SCENE.sub("", _WHATS.sub(r"\1 is", asking(question)))
    if not _WHICH_SOURCE.search(question):
        question = _IN_PAPER.sub(" ", question)
    kind = next((kind for matches, kind in _KINDS if matches(question)), "other")
    if kind == "amount":  # "To what level could tariffs climb?" asks a figure of any unit (a rate), not a sum
        return "money" if _MONEY_WORDS.search(question) and not _LEVEL.search(question) else "number"
    if kind == "number" and _MANY_OF_MONEY.search(question):  # "How many billions did Korea promise?" asks a sum
        return "money"
    # "Besides commercial nuclear plants, what technologies ...?" asks what else: what a sentence adds
    if kind in ("other", "list") and _BESIDES.search(question):
        return "addition"
    if kind in ("other", "list") and _PROPOSAL.search(question):  # what a paper would have done
        return "proposal"
    return kind


def parts(question: str) -> list[str]:
    """A compound question's parts ("Which shipyard ..., and what proposal ...?"), each read for its own kind."""
    cut = re.sub(_COMPOUND_JOIN, "\n", question)
    cut = re.sub(r"\?\s+(?=\S)", "?\n", cut)
    return [p.strip() for p in cut.split("\n") if p.strip()]


def compares(question: str) -> bool:
    """Does the question set the papers side by side (rather than compare things they discuss)?"""
    return bool(_TOGETHER.search(question) or _CONTRAST.search(question) and (
        _THEM.search(question) or len(re.findall(r"\b" + _PAPERS + r"\b", question, _I)) >= 2))


def wants(question: str, lexical: Lexical, focus_text: str | None = None) -> Wants:
    """The question's kind, focus and whether it compares papers.

    The focus is read from ``focus_text`` when given: the question without the names of the papers it chooses
    among (a paper's name says where to look, not what the answer is about).
    """
    # "Relative to the size of its economy" says the answer is a share of a whole, not what it is a share of
    text = re.sub(_OF_WHOLE, " ", _BESIDES.sub(" ", AFTER_YEAR.sub(" ", BEFORE_YEAR.sub(" ", own_focus(
        focus_text or question)))), flags=_I)
    # "What's" is "what": a contraction's "'s" makes no word a subject
    words = [w for w in WORD.findall(text)
             if _POSSESSIVE.sub("", _CONTRACTED.sub("", w.lower())) not in _NOT_FOCUS and not _A_NUMBER.fullmatch(w)
             and lexical.terms(_POSSESSIVE.sub("", w))]
    kind = kind_of(question)
    count = counted(question) if kind == "number" else None
    return Wants(
        kind=kind,
        focus=tuple(words),
        focus_terms=tuple(t for w in words for t in lexical.terms(w) if t not in _NOT_FOCUS),
        compare=compares(question),
        recommends=bool(_RECOMMEND.search(question)),
        doer=doer(question) if kind in FIGURES else None,
        compound=bool(_COMPOUND.search(question)),
        measured_against=tuple(w for m in _AGAINST.finditer(text) for w in words if w in m.group("what").split()),
        exact=kind in FIGURES and bool(_EXACT.search(question)),
        noun=next((m.group("noun") for pattern in (_ORGANISATION, _PLACE) if kind in NAMES
                   for m in [pattern.search(question)] if m and m.group("noun")), None),
        counted=count or (measured(question) if kind in FIGURES else None),
        how_many=count is not None,
    )


# "What tariff rate does the US apply to Korean cars?", "the share of Korea's exports": the noun phrase a rate, share
# or level is of, or a levy is put on
_MEASURED = re.compile(r"\b(rates?|tariffs?|duty|duties|levy|levies|shares?|percentages?|proportions?|fractions?|"
                       r"levels?)\s+(on|of|for)\s+(?P<rest>[\w.’'-]+(?: [\w.’'-]+){0,3})|\b(appl(y|ies|ied)|"
                       r"charg(e|es|ed|ing)|impos(e|es|ed|ing)|lev(y|ies|ied)|slap(s|ped)?|put|puts)\s+(on|to)\s+"
                       r"(?P<put>[\w.’'-]+(?: [\w.’'-]+){0,3})", _I)


def measured(question: str) -> str | None:
    """What a rate, share or levy the question asks for is of: the last word of the noun phrase after "rate on",
    "share of", "apply to" ("What tariff rate does the US apply to Korean cars?": "cars").  A figure of something
    else does not answer it: 10.3 percent on "Korean industrial supplies and materials" is no rate on cars.  A share
    of a whole ("as a share of its economy") and one of what the question named before ("what fraction of its US
    equivalent") name no new thing."""
    m = _MEASURED.search(re.sub(_OF_WHOLE, " ", question, flags=_I))
    if not m:
        return None
    words = (m.group("rest") or m.group("put")).split()
    if words[0].lower() in ("its", "their", "his", "her", "that", "this", "those", "these", "it"):
        return None
    return _head(words[1:] if words[0].lower() in ("the", "a", "an") else words)


def counted(question: str) -> str | None:
    """What "how many" counts: the last word of the noun phrase after it ("How many American jobs have ...?":
    "jobs"), unless it is a unit or the kind's own word ("billions", "items"), or the phrase opens with one: "How many
    times larger was ...?" asks a ratio, and counts nothing."""
    m = _HOW_MANY.search(question)
    if not m or m.group("rest").split()[0].lower() in _UNITS:
        return None
    return _head(m.group("rest").split())


def _head(words: list[str]) -> str | None:
    """The last word of the noun phrase ``words`` open with ("American jobs have ...": "jobs"), which ends at the
    first word that is no focus word, or at a verb after its noun ("nations belong to ...": "nations"); None when
    that is a unit or a number ("billions", "2020s")."""
    phrase: list[str] = []
    for word in words:
        bare = _POSSESSIVE.sub("", word.lower())
        # "people" is no focus elsewhere ("Which people ...?" asks a name), but "How many people ...?" counts them: a
        # sentence that does is about people ("How many people speak Korean?" is not answered by "2 percent")
        if bare in _NOT_FOCUS and bare != "people":
            break
        # a word WordNet knows but not as a noun, after one it does ("belong", "signed"): the phrase's verb
        if phrase and (kinds := synonyms.parts_of_speech(bare)) and "n" not in kinds and "n" in (
                synonyms.parts_of_speech(_POSSESSIVE.sub("", phrase[-1].lower())) or {"n"}):
            break
        phrase.append(word)
        if bare == "people":
            break
    head = phrase[-1] if phrase else None
    return head if head and head.lower() not in _UNITS and not _A_NUMBER.fullmatch(head) else None


_COUNT_REACH = 3  # words between a count and what it counts: "12 nations", "more than 150 Korean companies"


def counts(noun: str, text: str, lexical: Lexical) -> bool:
    """Does ``text`` count ``noun``: a number (no sum, share or year) with the noun within a few words after it?
    "How many South Korean companies made commitments?" is not answered by "South Korean companies committing more
    than $20 billion": a sum beside the companies counts none of them."""
    plain = _YEAR.sub(" ", _PERCENT_SHAPE.sub(" ", _MONEY_SHAPE.sub(" ", _NOT_A_FIGURE.sub(" ", text))))
    wanted = lexical.terms(noun)
    return any(lexical.overlap(wanted, " ".join(plain[m.end():].split()[:_COUNT_REACH + 1])) > 0
               for m in _NUMBER_SHAPE.finditer(plain))


def holds(kind: str, text: str, common: frozenset[str] = frozenset()) -> bool:
    """Does ``text`` hold an answer of this kind?  Always for kinds without a shape (a reason, a list ...).

    ``common`` are words the corpus also writes in lower case: "Economic Alliance" is two of them and no one's
    name, while "Hyok Jung Kim" or "Morris Chang" are never written in lower case.
    """
    if kind == "money":
        return bool(_MONEY_SHAPE.search(text))
    if kind == "percent":
        return bool(_PERCENT_SHAPE.search(text))
    if kind == "date":
        return bool(_YEAR.search(text) or _MONTH.search(text))
    if kind == "number":
        return bool(_NUMBER_SHAPE.search(_YEAR.sub(" ", _NOT_A_FIGURE.sub(" ", text))))
    if kind == "person":  # even "who is ...?" is often answered by an organisation ("Who is the publisher?")
        return bool(_TITLE.search(text) or _NAMED_ORGANISATION.search(text) or any(
            not {w.lower() for w in m.groups() if w} & common for m in _FULL_NAME.finditer(text)))
    if kind == "agent":
        return holds("person", text, common) or bool(_NAME_RUN.search(text))
    if kind == "organisation":
        return bool(_ORGANISATION_SHAPE.search(text))
    if kind == "place":
        return bool(_NAME_RUN.search(text))
    if kind in _WORDING:
        return bool(_WORDING[kind].search(text))
    return True


def only_bounded(kind: str, text: str) -> bool:
    """Does ``text`` give figures of this kind only as bounds ("well above 2 percent of its GDP")?  Such a figure
    does not answer a question that asks for it exactly."""
    shape = _FIGURE_SHAPES.get(kind)
    # (a match that starts inside a figure, "3 billion" of "$2.3 billion", is that figure's)
    found = [m for m in shape.finditer(text) if not re.search(r"[\d.,]$", text[:m.start()])] if shape else []
    return bool(found) and all(_BOUND.search(text[:m.start()]) for m in found)


# "How much did China invest in the US?": the name after the auxiliary does what the question asks about.
_DOER = re.compile(r"\b(?:did|does|do|has|have|had|will|would)\s+(?:the\s+)?([A-Z][\w.’'-]*(?:\s[A-Z][\w.’'-]*)*)")
_OBJECT_OF = r"(?:in|into|to|toward|towards|from|than|against)\s+(?:the\s+)?"


def doer(question: str) -> str | None:
    """The name doing what a figure question asks about ("China" in "How much did China invest in the US?")."""
    m = _DOER.search(question)
    return m.group(1) if m else None


def only_done_to(name: str, text: str) -> bool:
    """Is ``name`` (by any of its names: the US is the "United States" and "U.S.") in ``text`` only as the object of a
    preposition ("... the level directed to China", "investor in the United States"), so that the figure beside it is
    someone else's doing?  "With X doing ..." and "X's" are X's own."""
    anywhere, after = _done_to(name)
    count = len(anywhere.findall(text))
    return count > 0 and len(after.findall(text)) == count


@functools.lru_cache(maxsize=256)
def _done_to(name: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """``name`` by any of its names anywhere, and as a preposition's object (``only_done_to``): built once a name, not
    for each sentence a question reads."""
    pattern = "|".join(re.escape(form) for form in other_names(name))
    return (re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-])"),
            re.compile(rf"\b{_OBJECT_OF}(?:{pattern})(?![\w'’-])"))  # "than China's share" is China's


def cites(text: str) -> bool:
    """Is the sentence (of an endnote) a citation rather than a note's own prose?"""
    return bool(_CITATION.search(text)) or not _FINITE.search(text)


def defines(w: Wants, text: str, lexical: Lexical, aliases: dict[str, str] | None = None) -> bool:
    """Does ``text`` say what the question's subject is: some of the focus, then "is a", "refers to", "was launched
    to" ...?  A sentence that only mentions the subject (a bullet urging to join it) does not."""
    m = _DEFINES.search(text)
    return bool(m) and focus_share(w, with_aliases(text[:m.start()], aliases or {}), lexical) > 0


def without_words(text: str, words: tuple[str, ...]) -> str:
    """``text`` with every occurrence of ``words`` blanked out: an answer is what the question does not already say
    ("Which company acquired Philly Shipyard?" is not answered by the name "Philly Shipyard")."""
    if not words:
        return text
    pattern = r"\b(" + "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True)) + r")\b"
    return re.sub(pattern, " ", text, flags=re.IGNORECASE)


# A title's capitals ("… and How More Can Be Accomplished") make no name of a question's own words.
_QUESTION_WORDS = {"how", "what", "which", "who", "whom", "whose", "when", "where", "why", "is", "are", "was",
                   "were", "do", "does", "did", "can", "could", "will", "would", "should", "be", "more", "and", "or"}


def capitalised(texts: list[str]) -> dict[str, str]:
    """Each word the corpus writes capitalised inside a sentence, or in capitals, by its lower-case form: "kiep" ->
    "KIEP", "korea" -> "Korea".  A word capitalised only at a sentence's start is none."""
    found: dict[str, str] = {}
    for text in texts:
        for m in re.finditer(r"(?<=[a-z0-9,;:’'”)] )[A-Z][A-Za-z0-9-]*|\b[A-Z][A-Z0-9]+\b", text):
            found.setdefault(m.group().lower(), m.group())
    return found


def proper_cases(capitals: Mapping[str, str], common: frozenset[str]) -> dict[str, str]:
    """The names the corpus writes: its ``capitalised`` words it never writes in lower case (not "korea" of a web
    address)."""
    return {low: word for low, word in capitals.items() if low not in common and low not in _QUESTION_WORDS}


def truecase(question: str, cases: dict[str, str]) -> str:
    """A question typed all in lower case, with the corpus's names capitalised as the corpus writes them ("who wrote
    the kiep commentary" -> "who wrote the KIEP commentary"): what a question's names do (they must be in the
    answer's neighbourhood, and they are no answer) then works for it too.  Any other question is left as typed."""
    if any(c.isupper() for c in question):
        return question
    return re.sub(r"[a-z0-9][a-z0-9-]*", lambda m: cases.get(m.group(), m.group()), question)


# A word that opens the question or a clause of it ("Looking at the brief, ...", "Quick check: when ...?")
_OPENER = re.compile(r"(?:^|(?<=[:;?!.—]) +|(?<=[:;?!.—]))\s*\b([A-Z][a-z]+)\b")


def openers_in_lower_case(question: str, names: Collection[str], is_word: Callable[[str], bool]) -> str:
    """The question with a word of English that is capitalised only because it opens the question or a clause
    ("Looking at the Heritage brief, how many ...?", "Quick check: when ...?") in lower case, as the papers would
    write it mid-sentence: a capitalised focus word is read as a name, which must sit beside the answer, and no
    sentence has "Looking" beside its figure.  A word the papers capitalise (``names``, lower-cased: "korea",
    "heritage") keeps its capital, and so do a word no dictionary knows ("Samsung") and a closed word ("What")."""
    def lowered(m: re.Match[str]) -> str:
        word = m.group(1)
        low = word.lower()
        if low in names or low in STOPWORDS_EN_PLUS or low in _QUESTION_WORDS or not is_word(low):
            return m.group()
        return m.group()[: m.start(1) - m.start()] + word.lower()
    return _OPENER.sub(lowered, question)


_UNKNOWN_ACRONYM = re.compile(r"(?<![\w-])[A-Z]{3,6}(?![\w-])")
_LINKS = r"(?:(?:of|and|for|the|on|in|&)[ \t]+)?"  # the small words an acronym's letters skip ("Bank of Korea")


def spell_out(question: str, texts: Iterable[str], lexical: Lexical) -> str:
    """A question's acronym that the corpus never writes, put in the words the corpus spells it with: "FDI" ->
    "foreign direct investment" where a paper writes that (and nothing else with those initials).  The corpus's
    words are what every later stage matches; an acronym no text uses would find nothing, or look like a name the
    papers never mention.  Each spelled word is a content word (not "and", "the" ...): three initials matched by
    chance are rare then (one random three-letter string in 40 has a single such match in the two papers, four
    letters none in 3,000), and two letters are too few to try."""
    texts = list(texts)

    def spelled(m: re.Match[str]) -> str:
        acronym = m.group()
        if not lexical.unknown(acronym):
            return acronym
        letters = (r"[ \t-]+" + _LINKS).join(f"([{c}{c.lower()}][a-z]{{2,}})" for c in acronym)
        pattern = rf"(?<![\w-]){letters}(?![\w-])"
        found = [f.group() for text in texts for f in re.finditer(pattern, text)
                 if not any(g.lower() in STOPWORDS_EN_PLUS for g in f.groups())]
        return found[0] if len({f.lower() for f in found}) == 1 else acronym

    return _UNKNOWN_ACRONYM.sub(spelled, question)


def lower_case_words(texts: list[str]) -> frozenset[str]:
    """Every word the texts write in lower case somewhere: not a name (``holds``)."""
    return frozenset(w for text in texts for w in re.findall(r"\b[a-z]+\b", text))


# "Three Seas Initiative (3SI)", "Reciprocal Defense Procurement (RDP)": a name, then its acronym in parentheses.
_ACRONYM = re.compile(r"\(([A-Z0-9][A-Za-z0-9&-]{1,9})\)")
_SMALL_WORDS = {"of", "the", "and", "for", "on", "in", "to", "&"}
_CARDINALS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
# A number up to ten as a word, cardinal or ordinal ("two", "first"): the digits it stands for
NUMBER_WORDS = {word: str(n) for words in (_CARDINALS, _ORDINALS) for n, word in enumerate(words, 1)}
DIGIT_WORDS = {str(n): word for n, word in enumerate(_CARDINALS, 1)}  # and back: "2" -> "two"


def acronyms(text: str) -> dict[str, str]:
    """The acronyms a text defines, each with the name it stands for: "(3SI)" after "Three Seas Initiative".

    The acronym's letters must be the initials of the words just before it (small words like "of" skipped; a digit
    stands for its number or its word), as Schwartz and Hearst's rule for abbreviations in text has it.
    """
    found: dict[str, str] = {}
    for m in _ACRONYM.finditer(text):
        letters = [c.lower() for c in m.group(1) if c.isupper() or c.isdigit()]
        if 2 <= len(letters) <= 6:
            name = _name_before(re.findall(r"[\w’'-]+", text[max(0, m.start() - 120):m.start()]), letters)
            if name:
                found.setdefault(m.group(1), name)
    return found


def _name_before(words: list[str], letters: list[str]) -> str | None:
    """The shortest run of words at the end of ``words`` whose initials, small words skipped, are ``letters``."""
    for start in range(len(words) - 1, -1, -1):
        run = words[start:]
        content = [w for w in run if w.lower() not in _SMALL_WORDS]
        if len(content) > len(letters):
            return None
        if run[0].lower() not in _SMALL_WORDS and len(content) == len(letters) and all(
                w[0].lower() == c or (c.isdigit() and w.lower() in (c, DIGIT_WORDS.get(c)))
                for w, c in zip(content, letters)):
            return " ".join(run)
    return None


# "What does KIEP stand for?", "What is the full name of the RDP?": the answer is the name an acronym stands for.
_ACRONYM_WORD = r"([A-Z0-9][A-Za-z0-9&-]*[A-Z0-9])"
_EXPANSION = re.compile(rf"\b[Ww]hat (?:does|did|do) (?:the (?:acronym |abbreviation )?)?{_ACRONYM_WORD}(?:['’]s)? "
                        rf"(?:stand for|mean)\b|\bfull (?:name|form) of (?:the )?{_ACRONYM_WORD}\b|"
                        rf"\b{_ACRONYM_WORD}['’]s full name\b|\b[Ww]hat is (?:the )?{_ACRONYM_WORD} short for\b")


def expansion_asked(question: str) -> str | None:
    """The acronym whose full name the question asks for, if it asks for one (written as an acronym: two or more
    capitals)."""
    m = _EXPANSION.search(question)
    acronym = next((g for g in m.groups() if g), None) if m else None
    return acronym if acronym and sum(c.isupper() for c in acronym) >= 2 else None


def spelled_out_at(text: str, acronym: str, name: str | None = None) -> int | None:
    """Where ``text`` spells ``acronym`` out: its name (``acronyms`` found it) or, failing that, a run of capitalised
    words from the acronym's first letter, just before "(ACRONYM)" ("Korea Institute for International Economic
    Policy (KIEP)", whose initials skip a word).  None: it never does."""
    tail = rf"\s*\({re.escape(acronym)}\)"
    m = re.search(re.escape(name) + tail, text, _I) if name else None
    first = acronym[0]
    m = m or re.search(rf"(?<![\w-]){first}[\w’'-]*(?:\s+(?:(?:of|for|and|the|on|in|&)\s+)?[A-Z][\w’'-]*)+{tail}",
                       text)
    return m.start() if m else None


# Capitals that stand for their countries, as writing on foreign affairs uses them ("Washington should work with
# Seoul"), the one building that stands for its department, and the names one country goes by ("America" is the
# "US" of a text): general knowledge, like a stopword list, and never about a particular question.
METONYMS: dict[str, tuple[str, ...]] = {
    "America": ("United States", "U.S.", "US"), "United States": ("America", "U.S.", "US"),
    "South Korea": ("Korea", "ROK", "Republic of Korea"), "South Korean": ("Korean",),
    "US": ("United States", "U.S.", "America"), "U.S.": ("United States", "US", "America"),
    "Washington": ("United States", "U.S.", "US", "America"), "Seoul": ("Korea", "ROK"), "Beijing": ("China",),
    "Tokyo": ("Japan",), "Moscow": ("Russia",), "Taipei": ("Taiwan",), "Pyongyang": ("North Korea", "DPRK"),
    "London": ("Britain", "United Kingdom", "UK"), "Brussels": ("European Union", "EU"), "Berlin": ("Germany",),
    "Paris": ("France",), "Ottawa": ("Canada",), "Canberra": ("Australia",), "New Delhi": ("India",),
    "Pentagon": ("Department of Defense", "DoD"), "Capitol": ("Congress", "congressional"),
    # and the adjectives of the countries whose names they do not begin with ("Korean" holds "Korea" already)
    "American": ("United States", "U.S.", "US", "America"), "Chinese": ("China",), "Japanese": ("Japan",),
    "British": ("Britain", "United Kingdom", "UK"), "French": ("France",),
}
_METONYM_KEYS = {key.lower(): key for key in METONYMS}
_METONYM_PATTERNS = {capital: re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, names)) + r")(?![\w-])")
                     for capital, names in METONYMS.items()}


def other_names(name: str) -> list[str]:
    """``name``, and the same with each name of a country (or a capital) it holds written as the country is
    otherwise named ("South Korean leader": "Korean leader"; "Seoul government": "Korea government")."""
    forms = [name]
    for key, others in METONYMS.items():
        found = re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", name, _I)
        if found:
            forms += [name[:found.start()] + other + name[found.end():] for other in others]
    return forms


def with_metonyms(text: str, capitals: tuple[str, ...]) -> str:
    """``text`` followed by each of ``capitals`` (the question's) whose country it names: a sentence about Korea
    is about what a question calls "Seoul"."""
    extra = [c for c in capitals if c not in text and _METONYM_PATTERNS[c].search(text)]
    return " ".join([text, *extra]) if extra else text


def capitals_in(words: tuple[str, ...]) -> tuple[str, ...]:
    """The capitals among a question's words (a possessive read as the name; "pentagon" typed as "Pentagon")."""
    return tuple(dict.fromkeys(_METONYM_KEYS[c] for w in words if (c := re.sub(r"['’]s$", "", w).lower())
                               in _METONYM_KEYS))


def with_aliases(text: str, aliases: dict[str, str]) -> str:
    """``text`` followed by the other form of every acronym it uses or name it spells out ("3SI" <-> "Three Seas
    Initiative"): a passage that says "the 3SI" is about the Three Seas Initiative a question names."""
    if not aliases:
        return text
    pattern, other = _alias_pattern(tuple(sorted(aliases.items())))
    extra = dict.fromkeys(other[m.lastgroup] for m in pattern.finditer(text))
    return " ".join([text, *extra]) if extra else text


@functools.lru_cache(maxsize=64)
def _alias_pattern(aliases: tuple[tuple[str, str], ...]) -> tuple[re.Pattern[str], dict[str, str]]:
    """One pattern for every form of a document's acronyms (one search a sentence, however many it defines): a
    group per form, named ``a<i>`` for an acronym (case as written) and ``n<i>`` for its name (any case)."""
    groups, other = [], {}
    for i, (acronym, name) in enumerate(aliases):
        groups += [f"(?P<a{i}>{re.escape(acronym)})", f"(?P<n{i}>(?i:{re.escape(name)}))"]
        other[f"a{i}"], other[f"n{i}"] = name, acronym
    return re.compile(rf"(?<![\w-])(?:{'|'.join(groups)})(?![\w-])"), other


# (... after an opening phrase too: "Before joining KIEP, he served ...")
_OPENING_PRONOUN = re.compile(r"^\W*([^,.;:]{1,60},\s*)?(he|she|it|they|his|her|its|their|this|these|such|"
                              r"the (latter|former))\b", _I)


# A list item opening with a gerund ("- Encouraging the practical participation of South Korea in the Three Seas
# Initiative (3SI).") titles the recommendation under it: it names its subject and says nothing of it.
BULLET = re.compile(r"^\s*(?:[-•▪*]|\d+[.)])\s+")  # a list item's marker
_LIST_TITLE = re.compile(BULLET.pattern + r"[A-Z][a-z]+ing\b")


def titles_a_list_item(text: str) -> bool:
    """Is the sentence a list item's title (a gerund phrase after a bullet), not a statement?"""
    return bool(_LIST_TITLE.match(text))


def announces(text: str) -> bool:
    """Does the sentence only announce what follows it ("..., Washington should work with Seoul to ... by:")?"""
    return text.rstrip().endswith(":")


_PERSONAL = ("he", "she", "his", "her")
_PERSON_WORD = re.compile(r"[A-Z][a-z’'.-]*")  # "Hyok", "Kim"; not "PhD", "KIEP" or "3SI"


def names_organisation(name: str) -> bool:
    """Does the name hold a word organisations are named with ("The Heritage Foundation", "Philly Shipyard")?"""
    return bool(_NAMED_ORGANISATION.search(name))


def _opening_pronoun(text: str) -> str | None:
    """The pronoun a sentence opens with (after an opening phrase or not), in lower case; None if it opens otherwise."""
    m = _OPENING_PRONOUN.match(text)
    return m.group(2).lower() if m else None


def stood_for(text: str, names: Iterable[str]) -> list[str]:
    """The earlier names a sentence opening with a pronoun stands for ("He earned ...", "Its share ...", "The latter
    remains ...", "Before joining KIEP, he served ..."): none when it opens otherwise, and only a person's words
    for "he" or "her" ("PhD" said just before is not who "he" is)."""
    pronoun = _opening_pronoun(text)
    if pronoun is None:
        return []
    return [name for name in names if pronoun not in _PERSONAL or _PERSON_WORD.fullmatch(name)]


def opens_personal(text: str) -> bool:
    """Does the sentence open with "he", "she", "his" or "her" (after an opening phrase or not): is its subject a
    person named before it?"""
    return _opening_pronoun(text) in _PERSONAL


def focus_share(w: Wants, text: str, lexical: Lexical, alternatives: Mapping[str, frozenset[str]] | None = None
                ) -> float:
    """IDF-weighted share of the focus in ``text`` (1 when the question has no focus words), a focus term counting
    as there when one of its ``alternatives`` is (``alternatives``)."""
    return lexical.overlap(list(w.focus_terms), text, alternatives) if w.focus_terms else 1.0


def alternatives(w: Wants, lexical: Lexical, senses: int) -> dict[str, frozenset[str]]:
    """The terms the papers use for each focus term in other words: its WordNet synonyms in its first ``senses``
    senses ("duties": "tariff"; "atomic": "nuclear").  A name has none: "Seoul" is not "capital"."""
    found: dict[str, frozenset[str]] = {}
    for word in w.focus:
        if any(c.isupper() for c in word):
            continue
        others = frozenset(t for other in synonyms.synonyms(_POSSESSIVE.sub("", word.lower()), senses)
                           for t in lexical.terms(other) if t in lexical.idf)
        for term in lexical.terms(word):
            if others - {term}:
                found[term] = found.get(term, frozenset()) | (others - {term})
    return found


def missing_focus(w: Wants, texts: list[str], lexical: Lexical,
                  alternatives: Mapping[str, frozenset[str]] | None = None) -> list[str]:
    """The focus words none of ``texts`` uses, nor a synonym of (``alternatives``): what the papers do not talk
    about."""
    present = {t for text in texts for t in lexical.terms(text)}
    return [word for word in w.focus
            if not all(t in present or (alternatives or {}).get(t, frozenset()) & present
                       for t in lexical.terms(word))]
