//! Lines that belong to a kind of article rather than a beat: how a
//! reporter introduces someone, how an analysis turns, how a columnist
//! argues, how a culture piece describes a play. Same template syntax as
//! `beats`.

/// First mention of the main person quoted.
pub(super) const INTRODUCTIONS: &[&str] = &[
    "{p1}, {p1_desc}, has [lived|worked] in {place} for {years}.",
    "Take {p1}, {p1_desc}.",
    "{p1}, {p1_desc}, remembers when things here were different.",
    "Few people understand this better than {p1}, {p1_desc}.",
    "We met {p1}, {p1_desc}, in [a café near the station|the courtyard of {p1_his} building|a kitchen that doubles as an office].",
    "{p1}, {p1_desc}, agreed to talk only after some hesitation.",
    "{p1}, {p1_desc}, has seen all of this up close.",
];

/// Second person quoted, brought in to add to or contradict the first.
pub(super) const SECOND_VOICES: &[&str] = &[
    "A few streets away, {p2}, {p2_desc}, sees things [differently|more darkly|with more hope].",
    "{p2}, {p2_desc}, [agrees|disagrees], up to a point.",
    "Not everyone is so [patient|sure]. {p2}, {p2_desc}, is less [hopeful|convinced].",
    "For {p2}, {p2_desc}, the question is more practical.",
];

/// Colour that can open or close a scene anywhere.
pub(super) const ATMOSPHERE: &[&str] = &[
    "The {season} light comes in low over the rooftops of {place} in the late afternoon, and the streets empty early.",
    "On {weekday} the [market|main square] of {place} was [busy|crowded] as ever, [loud with bargaining|full of school-age children and their grandparents].",
    "It is the kind of [town|city] where the [bus drivers|shopkeepers] know most of their [passengers|customers] by name.",
    "[Stray dogs doze|Pigeons gather] on the steps of the town hall, where [a queue|a small crowd] forms every morning before the doors open.",
    "A smell of [bread|coffee|diesel and rain] hangs over the street as the first shops pull up their shutters.",
    "[Most|Many] of the buildings [on the main avenue|in the old centre] were built [a century ago|in the 1960s], and it shows.",
    "Outside the [bakery|pharmacy], a handwritten sign announces new opening hours.",
    "In the evening, the [embankment|main avenue] fills with families walking slowly, as if to make the day last.",
    "[Minibuses|Trams] rattle past the [station|market] every few minutes, full to the doors.",
    "Somewhere a radio is playing, and a dog barks at nobody in particular.",
];

/// Background about the place that fits any beat.
pub(super) const BACKGROUND: &[&str] = &[
    "{place} is a city of [apartment blocks and markets|wide avenues and small shops|old quarters and new suburbs], and of people who mostly know each other's business.",
    "The city's population has been [ageing|shrinking|changing] for years, and its budget with it.",
    "Wages in {place} lag well behind those in the capital, and prices do not.",
    "Many families here have at least one relative working [abroad|in the capital].",
    "The local economy rests on a few large employers and a great many [small ones|family businesses|market stalls].",
    "The town hall has changed hands {n_small} times in twenty years, but the [potholes|complaints] have stayed the same.",
    "[Public transport|The last bus] [stops|leaves] early in the evening, which shapes the lives of those without a car.",
    "[Local radio and a couple of newspapers|The regional television channel and the local paper] remain the main sources of news for [older residents|pensioners].",
];

/// Generic background that widens the frame.
pub(super) const WIDER: &[&str] = &[
    "None of this is unique to {place}.",
    "What is happening here echoes a story repeated across {region_name}.",
    "Seen from the capital, {place} can look like a detail. Seen from {place}, the capital looks very far away.",
    "The official version and the one told in the kitchens of {place} rarely coincide.",
    "Local newspapers have been writing about [the problem|this] for years; what has changed is that it can no longer be ignored.",
    "The same arguments can be heard in a dozen other cities across {region_name}, in a dozen other languages.",
    "Ask ten people in {place} about {topic_noun} and you will get ten answers, most of them impatient.",
    "The national press comes to {place} when something goes wrong, and leaves when it is repaired.",
    "In the capital, the debate is about [strategy|grand plans|principles]. In {place}, it is about [next month|the next bill|getting through the week].",
    "For all the talk of {topic_noun}, daily life here is still organised around the same things: work, school, the price of bread.",
    "[The ministry|Officials in the capital|The governor's office] declined to comment [for this article|on the record].",
    "[Regional newspapers|Local reporters] have covered the story closely; the national channels, much less.",
];

pub(super) const ANALYSIS: &[&str] = &[
    "To understand what is at stake in {place}, it helps to look back a [few years|decade].",
    "Several forces are converging here.",
    "On paper, the arithmetic is simple. In practice, it is not.",
    "What happens in {place} matters well beyond the city, because it is an early test of choices facing much of {region_name}.",
    "There is a paradox here.",
    "None of the options is painless, and everyone involved knows it.",
    "The debate over {topic_noun} in {country} is often conducted in slogans. On the ground, it is a matter of budgets, timetables and people.",
    "It would be easy to read the situation in {place} as a local story. It is not.",
    "The numbers tell part of the story; the rest is told by the people who live with them.",
];

pub(super) const ANALYSIS_CLOSE: &[&str] = &[
    "In the end, what happens in {place} will depend less on grand plans than on a series of small decisions, most of them not yet taken.",
    "The choices made here in the next year will be studied elsewhere in {region_name}, whichever way they go.",
    "For now, the most honest forecast is the one heard most often in {place}: it depends.",
];

pub(super) const OPINION_OPEN: &[&str] = &[
    "I have [been writing about|covered] {place} for long enough to distrust easy answers.",
    "Let me say it plainly: the problem in {place} is not a matter of bad luck.",
    "We keep hearing that nothing can be done. That is a convenient fiction.",
    "It is tempting to blame [the capital|distant markets|the weather]. It is also lazy.",
    "Nobody I spoke to in {place} is asking for miracles.",
    "Every few months, {topic_noun} returns to the front pages, and every few months it leaves again. The people of {place} do not have that option.",
];

pub(super) const OPINION_MIDDLE: &[&str] = &[
    "There is another way of looking at this.",
    "The solution, I would argue, begins with listening to the people who live with {topic_noun} every day.",
    "So what should be done?",
    "We should stop treating the problem as temporary, or as someone else's.",
    "The money has to go where the need is, not where the cameras are.",
    "We should also ask who benefits from things staying as they are.",
    "We have been here before, and we have learned very little.",
    "The people who pay for these decisions are rarely the people who take them.",
    "There are no villains in this story, only a long series of postponements.",
    "Nobody needs another commission, another report or another round of consultations.",
    "It is worth remembering how we got here.",
    "Good intentions are not a policy, and neither is outrage.",
    "The solutions are not mysterious; most of them have been proposed, costed and shelved.",
    "What is missing is not money, or ideas, but the will to stay with a problem once the cameras leave.",
    "The argument against acting is always the same: not now, not here, not like this.",
    "It is easy to be wise from a distance.",
    "I may be wrong. But the price of waiting becomes easier to measure every year.",
    "This is not a question of left or right. It is a question of competence, and of attention.",
];

pub(super) const OPINION_STANDFIRSTS: &[&str] = &[
    "The debate about {topic_noun} in {country} keeps missing the point. Start with {place}.",
    "From {place}, the story of {theme} looks less like a headline and more like a bill that keeps arriving.",
    "Every few months, {topic_noun} returns to the front pages, then leaves them again. In {place}, it never leaves.",
    "A view from {place} on {topic_noun}, and on what the capital keeps getting wrong.",
    "Those who live with {topic_noun} every day have stopped waiting for answers from above. They have a point.",
];

pub(super) const OPINION_CLOSE: &[&str] = &[
    "{place} deserves better. So, for that matter, do the rest of us.",
    "The very least we can do is pay attention.",
    "That would be a beginning. It is already late.",
    "History is unlikely to remember this moment kindly if we look away.",
];

pub(super) const GENERIC_SUBHEADS: &[&str] = &[
    "What comes next",
    "The view from {place}",
    "A question of trust",
    "Counting the cost",
    "Between two worlds",
    "The official line",
    "Small victories",
    "The long view",
    "What the numbers say",
    "Another way",
];

pub(super) const OPINION_SUBHEADS: &[&str] = &["What should be done", "The easy answer", "Who pays", "A failure of attention", "Beyond the slogans"];

/// Lead-ins for a block-quoted notice.
pub(super) const STATEMENT_INTROS: &[&str] = &[
    "A notice posted on the town hall door on {weekday} read:",
    "In a statement, the [city council|regional administration] said:",
    "The [municipality's|authorities'] announcement, published on {weekday}, was brief:",
    "The rules, as set out in the official notice, are these:",
];

pub(super) const LIST_INTROS: &[&str] = &[
    "Three things to watch in the coming months:",
    "What to watch next:",
    "The questions that will decide what happens next:",
];

// Culture pieces: {p2} is the artist, {p1} someone in the audience.

pub(super) const WORK_KINDS: &[(&str, &str)] = &[
    ("play", "playwright"),
    ("novel", "novelist"),
    ("documentary", "filmmaker"),
    ("photo exhibition", "photographer"),
    ("album", "songwriter"),
    ("film", "director"),
    ("dance piece", "choreographer"),
    ("exhibition", "painter"),
];

pub(super) const VENUES: &[&str] = &[
    "the municipal theatre",
    "a former tram depot",
    "the regional museum",
    "a basement cinema",
    "the old river station",
    "a converted bakery",
    "the philharmonic hall",
    "a small gallery in the old town",
];

pub(super) const TITLE_ADJECTIVES: &[&str] = &["Quiet", "Long", "Last", "Other", "Borrowed", "Small", "Empty", "Unfinished", "Winter", "Distant", "Salt", "Late"];
pub(super) const TITLE_NOUNS: &[&str] = &["Hours", "Shore", "Bridge", "Season", "Window", "River", "Harvest", "Orchard", "Tenants", "Crossing", "Kitchen", "Lanterns", "Well", "Summer"];
pub(super) const TITLE_SHAPES: &[&str] = &[
    "The {adj} {noun}",
    "{noun} and {noun2}",
    "Letters from the {adj} {noun}",
    "What the {noun} Saw",
    "A Map of Small Rooms",
    "After the {noun}",
    "Before the {noun}",
    "Notes on a {adj} {noun}",
    "The House by the {noun}",
    "Everything the {noun} Remembers",
    "{adj} {noun}",
    "The {noun} Keepers",
];

pub(super) const CULTURE_HEADLINES: &[&str] = &[
    "{a_work_kind} about {theme} [fills|packs] {venue} in {place}",
    "The {work_kind} that made {place} [face|talk about] {theme}",
    "{work_title}: how {a_work_kind} about {theme} became a [hit|sensation] in {place}",
    "In {place}, [artists take on|a new generation of artists takes on] {theme}",
    "[Sold out|Standing room only] in {place} for {a_work_kind} about {theme}",
];

pub(super) const CULTURE_STANDFIRSTS: &[&str] = &[
    "{work_title}, {a_work_kind} by {p2}, has become the surprise event of the season in {place}. Its subject is one nobody there can escape.",
    "Critics are divided; audiences are not. A new {work_kind} in {place} has found a way to talk about {theme}.",
    "In {venue} in {place}, {a_work_kind} about {theme} is drawing people who have never been to one before.",
];

pub(super) const CULTURE_SCENES: &[&str] = &[
    "On the opening night, every seat at {venue} was taken, with latecomers sitting on the stairs along the walls.",
    "At {venue}, the queue on {weekday} evening stretched round the corner and past the bus stop.",
    "The lights go down slowly, and for a long moment there is only the sound of [rain|a kettle|a train] in the dark.",
    "People leave {venue} in small, quiet groups, and most of them do not go home straight away.",
];

pub(super) const CULTURE_WORK: &[&str] = &[
    "{work_title} is {a_work_kind} by {p2}, {p2_desc}, and it has [filled|sold out] {venue} [night after night|for weeks].",
    "On the surface, {work_title} tells a modest story about [a family|two sisters|an old man and his neighbour] in a town very like {place}.",
    "Its real subject, though, is {theme}.",
    "The style is deliberately plain: [a few chairs|a bare stage|long silent shots|muted colours], and [one recurring melody|a single lamp|almost no music].",
    "{p2} began working on {work_title} {years} ago, long before its subject became topical.",
];

pub(super) const CULTURE_CRITICS: &[&str] = &[
    "Critics in the local press have been divided: some praised its restraint, others found it [too slow|too close to the news|heavy-handed].",
    "Audiences have not hesitated. The run has been extended twice.",
    "The success of {work_title} says something about the public mood in {place}, and about how close to home its subject is.",
    "Schools have started booking group visits, and a [touring version|second edition] is planned for next year.",
];

/// What the artist says; {topic_noun} and {theme} tie it to the beat.
pub(super) const ARTIST_LINES: &[&str] = &[
    "I did not want to make something about {topic_noun}. I wanted to make something about the people living through it, which is different.",
    "Art cannot fix anything. But it can make people sit in the same room for two hours and feel the same thing.",
    "Everyone told me this subject was too heavy. Then the tickets sold out in a day.",
    "I grew up here. I know how people talk, how they joke when things are bad. I wanted that in the work.",
    "The hardest part was leaving things out.",
    "I am not a journalist. I don't have to be fair. I only have to be true.",
];

pub(super) const AUDIENCE_LINES: &[&str] = &[
    "I laughed, and then I cried, and I don't know which one surprised me more.",
    "It was like seeing my own street from the outside.",
    "My daughter dragged me here. Now I'm going to bring my sister.",
    "Nobody says these things out loud here. It was strange to hear them said.",
];

pub(super) const CULTURE_CLOSE: &[&str] = &[
    "The last performance is scheduled for the end of the month. Nobody at {venue} believes it will be the last.",
    "Outside, on the pavement, the conversation goes on long after the lights of {venue} go out.",
    "{p2} is already working on the next one. Its subject, {p2_he} says, is still a secret, “but it will be about {place}, of course”.",
];

/// Sentences with a link for a handful of articles; `{link}` is replaced
/// by a Markdown link after expansion.
pub(super) const LINK_LINES: &[(&str, &str)] = &[
    ("The full figures are published in {link}.", "the city's latest annual report"),
    ("A [study|survey] published last year reached similar conclusions ({link}).", "summary here"),
    ("The regional statistics office keeps {link} for anyone who wants to check.", "an open data set"),
    ("Our earlier reporting from the region is collected in {link}.", "this dossier"),
];

pub(super) const EMBED_CAPTIONS: &[&str] = &[
    "Footage filmed in {place} by a local reporter",
    "Video: a walk through {place} on {weekday}",
    "Video: residents of {place} describe the last year",
    "Filmed in {place} by the newspaper's video team",
];

pub(super) const THINK_TANKS: &[&str] = &["Kestrel Institute", "Linden Centre for Public Policy", "Amber Road Forum", "Northgate Foundation", "Saltmarsh Institute"];
