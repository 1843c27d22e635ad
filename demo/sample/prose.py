"""Plausible English article text for the sample pages.

The text has to look like real prose to the text-quality filters (MassiveText/Gopher
rules: at least 50 words, mean word length 3-10, stop words such as "the", "and",
"of", "to", "that", "with" present, few repeated lines or n-grams). Each page draws its
sentence templates and figure leads without replacement from pools of ~48 and ~8, so no template repeats
within one article and duplicate n-gram fractions stay far below Gopher's limits.
"""

from __future__ import annotations

from random import Random

TOPICS = (
    ("community garden", "gardeners", "the allotments by the canal"),
    ("harbour walk", "walkers", "the old fishing harbour"),
    ("bread baking class", "bakers", "the bakery on Mill Street"),
    ("night sky festival", "stargazers", "the hill above the village"),
    ("railway museum", "volunteers", "the restored engine shed"),
    ("bicycle repair cafe", "riders", "the church hall"),
    ("river clean-up", "neighbours", "the footpath along the river"),
    ("library reading club", "readers", "the reading room upstairs"),
    ("pottery workshop", "potters", "the studio behind the market"),
    ("choir rehearsal", "singers", "the school assembly hall"),
)
NAMES = (
    "Anna",
    "Tomas",
    "Priya",
    "Joseph",
    "Mei",
    "Rosa",
    "Daniel",
    "Fatima",
    "Oliver",
    "Ines",
    "Kwame",
    "Lena",
)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("March", "April", "May", "June", "September", "October", "November")

# Slots: {topic} {people} {place} {name} {other} {day} {month} {n} {m}
TEMPLATES = (
    "The {topic} started as a small idea and has grown into one of the busiest events in town.",
    "Most of the {people} who came along on {day} had never met each other before.",
    "{name} said that the first meeting was held in {place} with only {n} people in the room.",
    "By the end of {month} the group had more than {m} members and a waiting list.",
    "There is no fee to join, and everyone is asked to bring a friend when they can.",
    "The organisers want to keep things simple, so the rules fit on a single page.",
    "Some of the {people} arrive early to set up the tables and make a pot of tea.",
    "{other} explained that the hardest part is finding a time that suits everybody.",
    "When the weather is good, the group moves outside and the sessions run a little longer.",
    "A local shop has offered to lend equipment, which has made a real difference this year.",
    "Several of the newer {people} said they were nervous at first but soon felt at home.",
    "The council has agreed to cover the cost of the room for another twelve months.",
    "Children are welcome, and there is usually a quiet corner with books and crayons.",
    "Nobody expected the {topic} to attract visitors from the neighbouring towns as well.",
    "{name} keeps a notebook of every session, with the date, the numbers and a short comment.",
    "It is easy to forget how much work goes on behind the scenes before each meeting.",
    "Questions about the {topic} can be sent to the volunteers, who try to answer within a week.",
    "Last {month} the group raised money for new chairs by holding a sale of homemade cakes.",
    "The atmosphere is relaxed, and people are encouraged to share what they have learned.",
    "According to {other}, the secret is to keep each session short and friendly.",
    "Photographs from the {topic} are pinned to a board near the entrance of {place}.",
    "A few of the {people} have started smaller groups of their own in nearby streets.",
    "There were {n} new faces on {day}, which is a record for this time of year.",
    "Plans for next season include a trip to the coast and an open day for families.",
    "The group also runs a short newsletter that goes out at the start of each month.",
    "Anyone who would like to help with the {topic} should speak to {name} at the door.",
    "What began as a hobby for a handful of friends is now part of the life of the town.",
    "The volunteers say that the most rewarding moment is seeing someone return the following week.",
    "Parking can be difficult near {place}, so most people walk or cycle to the sessions.",
    "Each meeting ends with a short chat about what went well and what could be better.",
    "{other} has lived in the area for {m} years and still finds something new every week.",
    "In the colder months the sessions move indoors and finish before it gets dark.",
    "The next big event is planned for {month}, and tickets will be free of charge.",
    "People often stay behind after the session to talk, and nobody is in a hurry to leave.",
    "Teachers from the primary school have asked whether their pupils could visit as well.",
    "The {people} agree that the {topic} has helped them to get to know their neighbours.",
    "One of the founders, {name}, still helps to plan the programme for the year ahead.",
    "Tea and biscuits are provided, although donations towards the cost are always welcome.",
    "A small grant from a local charity paid for the signs that now point the way to {place}.",
    "The group has learned that clear notices and a friendly welcome matter more than money.",
    "Older residents have shared stories about how {place} looked when they were young.",
    "This year the organisers hope to record some of those memories for the town archive.",
    "If you are thinking about coming along, there is no need to book in advance.",
    "{other} believes that projects like this work best when nobody is in charge for too long.",
    "The {topic} will take a short break in August and return at the start of {month}.",
    "Several businesses have put up posters in their windows to spread the word.",
    "On a busy evening there can be as many as {m} people crowded into {place}.",
    "The volunteers meet once a month to look at the accounts and to plan future sessions.",
)
# Sentences that introduce a figure. Only images shown without a visible caption get a lead
# that spells the caption out: repeating it in both lead and figcaption would duplicate 5-grams
# and trip Gopher's duplicate n-gram rule (> 0.15 of characters) on image-rich pages.
CAPTIONED_LEADS = (
    "The picture below shows {caption}.",
    "In the next image you can see {caption}.",
    "One of the volunteers made a drawing of {caption} for the notice board.",
    "The following figure is simply {caption}.",
)
PLAIN_LEADS = (
    "One of the volunteers made the drawing below for the notice board.",
    "The next picture was pinned up near the door.",
    "Here is one of the simple pictures the children made.",
    "The figure below hangs in the hall during every session.",
    "Someone left the drawing below on a table, and it has stayed there since.",
    "A regular visitor sent in this picture after the last meeting.",
    "This small sketch was found in the box of spare materials.",
    "The image that follows was chosen for the cover of the newsletter.",
)


class ProseWriter:
    """Draws sentences for one article; templates are not reused within an article."""

    def __init__(self, rng: Random, topic_index: int) -> None:
        self._rng = rng
        self.topic, self.people, self.place = TOPICS[topic_index % len(TOPICS)]
        self.name, self.other = rng.sample(NAMES, 2)
        self._pool = list(TEMPLATES)
        rng.shuffle(self._pool)
        # Lead sentences are also drawn without replacement (cycling), so none repeats on a page.
        self._leads = {
            True: rng.sample(CAPTIONED_LEADS, len(CAPTIONED_LEADS)),
            False: rng.sample(PLAIN_LEADS, len(PLAIN_LEADS)),
        }
        self._lead_count = {True: 0, False: 0}

    def _fill(self, template: str) -> str:
        rng = self._rng
        text = template.format(
            topic=self.topic,
            people=self.people,
            place=self.place,
            name=self.name,
            other=self.other,
            day=rng.choice(DAYS),
            month=rng.choice(MONTHS),
            n=rng.randint(3, 19),
            m=rng.randint(20, 90),
        )
        return text[0].upper() + text[1:]

    def paragraph(self, num_sentences: int) -> str:
        if len(self._pool) < num_sentences:
            # A long article used every template: start a fresh shuffled pool.
            self._pool = list(TEMPLATES)
            self._rng.shuffle(self._pool)
        picked, self._pool = self._pool[:num_sentences], self._pool[num_sentences:]
        return " ".join(self._fill(t) for t in picked)

    def figure_lead(self, caption: str | None) -> str:
        """A sentence before a figure; pass the caption only when the figure shows none itself."""
        spelled = caption is not None
        leads = self._leads[spelled]
        lead = leads[self._lead_count[spelled] % len(leads)]
        self._lead_count[spelled] += 1
        return lead.format(caption=caption) if spelled else lead

    def title(self) -> str:
        return self._rng.choice(
            (
                f"Inside the {self.topic}",
                f"A season with the {self.topic}",
                f"Why {self.people} keep coming back to {self.place}",
                f"Notes from the {self.topic}",
                f"The {people_cap(self.people)} of {self.place}",
            )
        )


def people_cap(people: str) -> str:
    return people[0].upper() + people[1:]
