"""Multilingual documents made in code, to check that a shorter language-ID prefix agrees
with the 1000-character guess (crawlers/html/language.py MAX_CHARS).

Sentences written for this file (no corpus is downloaded); documents are drawn from them
with a seeded RNG, so the set is deterministic. Close pairs are included on purpose
(es/pt/it, da/no/sv, cs/sk, ru/uk, id/ms, nl/af, hr/sr), since that is where a shorter
sample flips a guess, plus page-like mixtures: an English article after a German menu
line, lists of short items, table rows with numbers, and code-heavy text.
"""

from __future__ import annotations

from random import Random

SENTENCES = {
    "en": [
        "The council agreed on Tuesday to keep the library open on Sunday afternoons.",
        "Volunteers have planted more than two hundred trees along the river since spring.",
        "Most visitors come for the market, but many stay for the music in the square.",
        "The new timetable means that the last bus leaves the station at half past eleven.",
        "She said the project would not have been possible without the help of local schools.",
        "Prices rose again last month, driven mainly by the cost of energy and food.",
        "If you would like to take part, please write to the secretary before the end of May.",
    ],
    "de": [
        "Der Gemeinderat hat am Dienstag beschlossen, die Bibliothek auch sonntags zu öffnen.",
        "Seit dem Frühjahr haben Freiwillige mehr als zweihundert Bäume am Fluss gepflanzt.",
        "Die meisten Besucher kommen wegen des Marktes, viele bleiben aber für die Musik.",
        "Nach dem neuen Fahrplan fährt der letzte Bus um halb zwölf vom Bahnhof ab.",
        "Ohne die Hilfe der örtlichen Schulen wäre das Projekt nicht möglich gewesen, sagte sie.",
        "Die Preise sind im letzten Monat erneut gestiegen, vor allem wegen der Energiekosten.",
        "Wer mitmachen möchte, schreibt bitte bis Ende Mai an die Geschäftsstelle.",
    ],
    "fr": [
        "Le conseil municipal a décidé mardi d'ouvrir la bibliothèque le dimanche après-midi.",
        "Depuis le printemps, des bénévoles ont planté plus de deux cents arbres le long de la rivière.",
        "La plupart des visiteurs viennent pour le marché, mais beaucoup restent pour la musique.",
        "Avec le nouvel horaire, le dernier bus quitte la gare à onze heures et demie.",
        "Selon elle, le projet n'aurait pas été possible sans l'aide des écoles du quartier.",
        "Les prix ont encore augmenté le mois dernier, surtout à cause de l'énergie.",
        "Si vous souhaitez participer, écrivez au secrétariat avant la fin du mois de mai.",
    ],
    "es": [
        "El ayuntamiento decidió el martes abrir la biblioteca los domingos por la tarde.",
        "Desde la primavera, los voluntarios han plantado más de doscientos árboles junto al río.",
        "La mayoría de los visitantes viene por el mercado, pero muchos se quedan por la música.",
        "Con el nuevo horario, el último autobús sale de la estación a las once y media.",
        "Según ella, el proyecto no habría sido posible sin la ayuda de las escuelas del barrio.",
        "Los precios volvieron a subir el mes pasado, sobre todo por el coste de la energía.",
        "Si quiere participar, escriba a la secretaría antes de que termine el mes de mayo.",
    ],
    "pt": [
        "A câmara decidiu na terça-feira abrir a biblioteca aos domingos à tarde.",
        "Desde a primavera, os voluntários plantaram mais de duzentas árvores junto ao rio.",
        "A maioria dos visitantes vem pelo mercado, mas muitos ficam pela música na praça.",
        "Com o novo horário, o último autocarro sai da estação às onze e meia.",
        "Segundo ela, o projeto não teria sido possível sem a ajuda das escolas do bairro.",
        "Os preços voltaram a subir no mês passado, sobretudo por causa da energia.",
        "Se quiser participar, escreva à secretaria antes do fim do mês de maio.",
    ],
    "it": [
        "Il consiglio comunale ha deciso martedì di aprire la biblioteca la domenica pomeriggio.",
        "Dalla primavera i volontari hanno piantato più di duecento alberi lungo il fiume.",
        "La maggior parte dei visitatori viene per il mercato, ma molti restano per la musica.",
        "Con il nuovo orario l'ultimo autobus parte dalla stazione alle undici e mezza.",
        "Secondo lei il progetto non sarebbe stato possibile senza l'aiuto delle scuole.",
        "I prezzi sono saliti ancora il mese scorso, soprattutto per il costo dell'energia.",
        "Chi vuole partecipare può scrivere alla segreteria entro la fine di maggio.",
    ],
    "nl": [
        "De gemeenteraad heeft dinsdag besloten de bibliotheek ook op zondagmiddag te openen.",
        "Sinds het voorjaar hebben vrijwilligers meer dan tweehonderd bomen langs de rivier geplant.",
        "De meeste bezoekers komen voor de markt, maar velen blijven voor de muziek op het plein.",
        "Volgens de nieuwe dienstregeling vertrekt de laatste bus om half twaalf van het station.",
        "Zonder de hulp van de scholen in de buurt was het project niet gelukt, zei ze.",
        "De prijzen zijn vorige maand opnieuw gestegen, vooral door de kosten van energie.",
    ],
    "af": [
        "Die stadsraad het Dinsdag besluit om die biblioteek ook Sondagmiddae oop te hou.",
        "Sedert die lente het vrywilligers meer as tweehonderd bome langs die rivier geplant.",
        "Die meeste besoekers kom vir die mark, maar baie bly vir die musiek op die plein.",
        "Volgens die nuwe rooster vertrek die laaste bus om halftwaalf van die stasie.",
        "Sonder die hulp van die plaaslike skole sou die projek nie moontlik gewees het nie.",
    ],
    "sv": [
        "Kommunfullmäktige beslutade i tisdags att hålla biblioteket öppet på söndagar.",
        "Sedan i våras har frivilliga planterat mer än tvåhundra träd längs ån.",
        "De flesta besökare kommer för marknaden, men många stannar för musiken på torget.",
        "Enligt den nya tidtabellen går den sista bussen från stationen halv tolv.",
        "Utan hjälp från skolorna i området hade projektet inte varit möjligt, sa hon.",
    ],
    "da": [
        "Byrådet besluttede tirsdag at holde biblioteket åbent søndag eftermiddag.",
        "Siden foråret har frivillige plantet mere end to hundrede træer langs åen.",
        "De fleste besøgende kommer for markedets skyld, men mange bliver for musikken.",
        "Ifølge den nye køreplan kører den sidste bus fra stationen klokken halv tolv.",
        "Uden hjælp fra de lokale skoler havde projektet ikke været muligt, sagde hun.",
    ],
    "no": [
        "Bystyret vedtok tirsdag å holde biblioteket åpent på søndager.",
        "Siden våren har frivillige plantet mer enn to hundre trær langs elva.",
        "De fleste besøkende kommer for markedet, men mange blir værende for musikken.",
        "Etter den nye rutetabellen går den siste bussen fra stasjonen halv tolv.",
        "Uten hjelp fra skolene i nærområdet hadde prosjektet ikke vært mulig, sa hun.",
    ],
    "pl": [
        "Rada miasta postanowiła we wtorek otworzyć bibliotekę w niedzielne popołudnia.",
        "Od wiosny wolontariusze posadzili nad rzeką ponad dwieście drzew.",
        "Większość odwiedzających przychodzi na targ, ale wielu zostaje dla muzyki na rynku.",
        "Zgodnie z nowym rozkładem ostatni autobus odjeżdża z dworca o wpół do dwunastej.",
        "Jak powiedziała, bez pomocy okolicznych szkół projekt nie byłby możliwy.",
    ],
    "cs": [
        "Zastupitelstvo v úterý rozhodlo, že knihovna bude otevřená i v neděli odpoledne.",
        "Od jara dobrovolníci vysadili podél řeky více než dvě stě stromů.",
        "Většina návštěvníků přichází kvůli trhu, ale mnozí zůstávají kvůli hudbě na náměstí.",
        "Podle nového jízdního řádu odjíždí poslední autobus z nádraží v půl dvanácté.",
        "Bez pomoci místních škol by projekt nebyl možný, řekla.",
    ],
    "sk": [
        "Zastupiteľstvo v utorok rozhodlo, že knižnica bude otvorená aj v nedeľu popoludní.",
        "Od jari dobrovoľníci vysadili pozdĺž rieky viac ako dvesto stromov.",
        "Väčšina návštevníkov prichádza kvôli trhu, ale mnohí zostávajú kvôli hudbe na námestí.",
        "Podľa nového cestovného poriadku odchádza posledný autobus zo stanice o pol dvanástej.",
        "Bez pomoci miestnych škôl by projekt nebol možný, povedala.",
    ],
    "ru": [
        "Городской совет во вторник решил открыть библиотеку по воскресеньям.",
        "С весны добровольцы посадили вдоль реки более двухсот деревьев.",
        "Большинство посетителей приходит на рынок, но многие остаются ради музыки на площади.",
        "По новому расписанию последний автобус уходит с вокзала в половине двенадцатого.",
        "По её словам, без помощи местных школ проект был бы невозможен.",
    ],
    "uk": [
        "Міська рада у вівторок вирішила відкрити бібліотеку в неділю після обіду.",
        "Від весни волонтери посадили вздовж річки понад двісті дерев.",
        "Більшість відвідувачів приходить на ринок, але багато хто залишається заради музики.",
        "За новим розкладом останній автобус вирушає з вокзалу о пів на дванадцяту.",
        "За її словами, без допомоги місцевих шкіл проєкт був би неможливим.",
    ],
    "tr": [
        "Belediye meclisi salı günü kütüphanenin pazar öğleden sonraları da açık olmasına karar verdi.",
        "Bahardan bu yana gönüllüler nehir boyunca iki yüzden fazla ağaç dikti.",
        "Ziyaretçilerin çoğu pazar için geliyor, ama birçoğu meydandaki müzik için kalıyor.",
        "Yeni tarifeye göre son otobüs istasyondan on bir buçukta kalkıyor.",
        "Ona göre proje, bölgedeki okulların yardımı olmadan mümkün olmazdı.",
    ],
    "id": [
        "Dewan kota memutuskan pada hari Selasa untuk membuka perpustakaan pada hari Minggu sore.",
        "Sejak musim semi, para relawan telah menanam lebih dari dua ratus pohon di tepi sungai.",
        "Sebagian besar pengunjung datang untuk pasar, tetapi banyak yang tinggal untuk musik.",
        "Menurut jadwal baru, bus terakhir berangkat dari stasiun pukul setengah dua belas.",
        "Menurutnya, proyek itu tidak akan mungkin terlaksana tanpa bantuan sekolah setempat.",
    ],
    "ms": [
        "Majlis bandaraya memutuskan pada hari Selasa untuk membuka perpustakaan pada petang Ahad.",
        "Sejak musim bunga, sukarelawan telah menanam lebih daripada dua ratus pokok di tebing sungai.",
        "Kebanyakan pelawat datang kerana pasar, tetapi ramai yang tinggal kerana muzik di dataran.",
        "Mengikut jadual baharu, bas terakhir bertolak dari stesen pada pukul sebelas setengah.",
        "Menurut beliau, projek itu tidak mungkin berjaya tanpa bantuan sekolah tempatan.",
    ],
    "hr": [
        "Gradsko vijeće u utorak je odlučilo otvoriti knjižnicu nedjeljom poslijepodne.",
        "Od proljeća su volonteri posadili više od dvjesto stabala uz rijeku.",
        "Većina posjetitelja dolazi zbog tržnice, ali mnogi ostaju zbog glazbe na trgu.",
        "Prema novom voznom redu posljednji autobus polazi s kolodvora u pola dvanaest.",
        "Prema njezinim riječima, projekt ne bi bio moguć bez pomoći mjesnih škola.",
    ],
    "ja": [
        "市議会は火曜日、日曜日の午後も図書館を開館することを決めました。",
        "春以来、ボランティアが川沿いに二百本以上の木を植えました。",
        "多くの来場者は市場を目当てに来ますが、広場の音楽のために残る人も少なくありません。",
        "新しい時刻表では、最終バスは午後十一時半に駅を出発します。",
        "地元の学校の協力がなければ、この計画は実現しなかったと彼女は話しました。",
    ],
    "zh": [
        "市议会星期二决定，图书馆在星期日下午也将开放。",
        "自春天以来，志愿者已经在河边种植了两百多棵树。",
        "大多数游客是为了集市而来，但很多人留下来听广场上的音乐。",
        "根据新的时刻表，末班车将在晚上十一点半从车站出发。",
        "她说，如果没有当地学校的帮助，这个项目是不可能完成的。",
    ],
    "ko": [
        "시의회는 화요일에 일요일 오후에도 도서관을 열기로 결정했다.",
        "봄부터 자원봉사자들이 강가에 이백 그루가 넘는 나무를 심었다.",
        "대부분의 방문객은 시장 때문에 오지만 많은 사람들이 광장의 음악 때문에 머문다.",
        "새 시간표에 따르면 마지막 버스는 밤 열한 시 반에 역을 출발한다.",
    ],
    "ar": [
        "قرر المجلس البلدي يوم الثلاثاء فتح المكتبة في أيام الأحد بعد الظهر.",
        "منذ الربيع زرع المتطوعون أكثر من مئتي شجرة على ضفة النهر.",
        "يأتي معظم الزوار من أجل السوق، لكن كثيرين يبقون من أجل الموسيقى في الساحة.",
        "وفق الجدول الجديد تغادر آخر حافلة المحطة في الحادية عشرة والنصف.",
    ],
    "el": [
        "Το δημοτικό συμβούλιο αποφάσισε την Τρίτη να ανοίγει η βιβλιοθήκη και την Κυριακή.",
        "Από την άνοιξη οι εθελοντές φύτεψαν περισσότερα από διακόσια δέντρα δίπλα στο ποτάμι.",
        "Οι περισσότεροι επισκέπτες έρχονται για την αγορά, αλλά πολλοί μένουν για τη μουσική.",
        "Με το νέο δρομολόγιο το τελευταίο λεωφορείο φεύγει από τον σταθμό στις έντεκα και μισή.",
    ],
}

# Page-like lines that precede or interleave article text on real pages.
MENU_DE = "Startseite | Nachrichten | Sport | Kultur | Kontakt | Impressum"
TABLE_ROWS = ["Sessions | 12", "Volunteers | 31", "Visitors | 408", "2023 | 1.234 | 5.678"]
CODE = ["for (int i = 0; i < n; i++) { total += values[i]; }", "def main(argv=None): return run(argv)"]


def _prose(rng: Random, lang: str, min_chars: int) -> str:
    out: list[str] = []
    while sum(map(len, out)) < min_chars:
        out.append(rng.choice(SENTENCES[lang]))
    return " ".join(out)


def multilingual_documents(seed: int = 0, per_language: int = 6) -> list[tuple[str, str]]:
    """[(kind, text)]: long prose per language (1100-3000 chars) and page-like mixtures."""
    rng = Random(f"multilingual:{seed}")
    docs = []
    for lang in sorted(SENTENCES):
        for _ in range(per_language):
            docs.append((f"prose-{lang}", _prose(rng, lang, rng.randint(1100, 3000))))
    langs = sorted(SENTENCES)
    for i in range(40):
        lang = langs[i % len(langs)]
        kind = ("menu", "list", "table", "code")[i % 4]
        if kind == "menu":
            text = MENU_DE + "\n" + _prose(rng, lang, 1200)
        elif kind == "list":
            text = "\n".join(rng.choice(SENTENCES[lang])[:40] for _ in range(40))
        elif kind == "table":
            text = "\n".join(
                rng.choice(TABLE_ROWS) if j % 3 else rng.choice(SENTENCES[lang]) for j in range(30)
            )
        else:
            text = "\n".join(rng.choice(CODE) if j % 2 else rng.choice(SENTENCES[lang]) for j in range(20))
        docs.append((f"{kind}-{lang}", text))
    return docs
