"""Short excerpts of real news articles, one per language, for the per-language quality rules.

Sources and licences (each excerpt is a few paragraphs, quoted as published):
- de: German Wikinews, main page of 24 September 2017 (de.wikinews.org), CC BY 2.5, by the
  Wikinews contributors.
- fr: French Wikipedia, "Wikipédia:RAW/2016-01-01" (a news bulletin), CC BY-SA 3.0, by the
  Wikipedia contributors.
- ru: Russian Wikinews, «Организация «Русская община» опубликовала анонс...», 12 January 2025
  (ru.wikinews.org), CC BY 2.5 / 4.0, by the Wikinews contributors.
- es, zh, ja: the expected article texts of newspaper4k 0.9.6's test pages
  (tests/data/txt/spanish_article.txt, chinese_article_001.txt, japanese_article.txt; MIT).
"""

from __future__ import annotations

ARTICLES = {
    "de": (
        "Bis vor kurzer Zeit drohten sogenannten „Rasern“ nur Bußgelder und der einmonatige Entzug des "
        "Führerscheins. Künftig müssen Sie auch mit Geldstrafen und mehrjährigem Freiheitsentzug rechnen. "
        "Ein entsprechendes Gesetz passierte gestern den Bundesrat.\n\n"
        "Der chinesische PKW-Hersteller Borgward musste im August 2017 erneut einen Absatzeinbruch "
        "hinnehmen, und damit den Zweiten in Folge, seit Juli. Die Verkaufszahlen sind im August um 40 % "
        "zum Vorjahr, auf nur noch 3.009 abgesetzte Fahrzeuge, zurückgegangen. Besonders ernüchternd sind "
        "diese Zahlen vor dem Hintergrund, dass das SUV-Segment, in welchem alle Borgward-Modelle "
        "angesiedelt sind, um 17,1 % gewachsen ist und darüber hinaus das große, margenstarke BX7-Modell "
        "60% zum Vorjahr verliert. Die Marke hat in zunehmenden Maße damit zu kämpfen, auf ihrem "
        "Heimatmarkt bestehen zu können, so liegt sie nur noch auf Platz 56 von insgesamt 77 Marken auf "
        "dem chinesischen Markt."
    ),
    "fr": (
        "Cas Asselineau — Après des années de débats communautaires ayant déversé près d'un million "
        "d'octets en discussions, le « cas Asselineau », abordé par les RAW en décembre 2013 et en octobre "
        "2014, sera peut-être réglé. En effet, à la suite des élections régionales françaises de 2015, de "
        "nouvelles sources concernant le personnage ont été produites, ce qui pourrait rendre admissible un "
        "article le concernant.\n\n"
        "Wikisource — La Wikisource en français a modifié l'en-tête de multiples pages dans le but "
        "d'indiquer aux internautes qu'ils peuvent télécharger ces pages dans différents formats — ePub, "
        "PDF ou mobi. Ce changement a provoqué un usage plus intensif du générateur de fichiers mis au "
        "point par le contributeur Tpt. En quelques semaines, le nombre de fichiers créés a littéralement "
        "explosé."
    ),
    "ru": (
        "4 ноября 2024 года участник под ником «Shedlon17» создал в русскоязычном разделе Википедии статью "
        "«Русская община (организация)».\n\n"
        "3 января 2025 года это событие было освещено в социальных сетях организации, правда преподнесено "
        "в довольно оригинальном свете.\n\n"
        "Анонс начинается с критического замечания о том, что Википедия якобы работает на деньги спонсоров "
        "с неверной (по мнению организации «Русская община») идеологией, и с тезиса, что глупо ждать "
        "правду от таких людей. Затем утверждается, что статья заказная, а работа по написанию статьи "
        "сделана на «отлично». Выражается сомнение в достоверности источников статьи."
    ),
    "es": (
        "El fiscal Pedro Horrach está perfilando con el jefe de la Fiscalía Anticorrupción, Antonio "
        "Salinas, en Madrid, la estrategia jurídica que seguirá tras el auto dictado por el juez José "
        "Castro en el que acuerda citar en calidad de imputada a la infanta Cristina de Borbón y Grecia el "
        "próximo 8 de marzo en Palma por los delitos de blanqueo de capitales y contra la Hacienda "
        "Pública.\n\n"
        "Horrach duda si insistir en su postura de dejar al margen a la hija menor del Rey de los indicios "
        "incriminatorios citados por el instructor del ‘caso Nóos’, como ya lo hizo por escrito el pasado "
        "mes de noviembre o, por el contrario, se limita exponer de manera sucinta su punto de vista para "
        "apoyar el recurso que ya ha anunciado el abogado de la Infanta, Miquel Roca."
    ),
    "zh": (
        "在美国旧金山举行的中美元首会晤吸引了全世界的目光。多名外国专家告诉《中国日报》，中美合作共赢符合国际社会利益，"
        "美方应当采取更多行动。\n\n中美合作共赢是大势所趋\n\n"
        "美中合作基金会执行主席约翰·米勒-怀特认为，共同繁荣还是互相毁灭，这是两国面临的抉择。众所周知，"
        "21世纪的金融往来和军事技术发展让超级大国也无法在冲突中成为赢家。\n\n"
        "瑞典“一带一路”研究所副所长侯赛因·阿斯卡里指出，作为全球最大的两个经济体，中美关系几乎会影响每一个国家，"
        "这是不可避免的。"
    ),
    "ja": (
        "６月12日の歴史的な米朝首脳会談を巡って戦っていたのは、米大統領のトランプと北朝鮮委員長の金正恩"
        "（キム・ジョンウン）ばかりではなかった。中国国家主席、習近平（シー・ジンピン）も重要な陰の参戦者だった。"
        "核放棄を巡って「検証可能な」の文字がなく、米韓軍事演習の中止にまで踏み込んだ米朝会談は、"
        "トランプによる金正恩への一方的譲歩であり、後ろ盾だった中国の習近平も「勝ち組」になったかに見える。"
    ),
}

# Page chrome only, as a page without its article extracts: menus, consent lines, footers.
BOILERPLATE = {
    "de": "Startseite | Nachrichten | Sport\nImpressum | Datenschutz | Kontakt\nAlle Rechte vorbehalten",
    "fr": "Accueil | Actualités | Sport | Culture\nMentions légales | Contact\nTous droits réservés",
    "ru": "Главная | Новости | Спорт | Культура\nКонтакты | Реклама\nВсе права защищены",
    "es": "Inicio | Noticias | Deportes | Cultura\nAviso legal | Contacto\nTodos los derechos reservados",
    "zh": "首页 | 新闻 | 体育 | 文化\n联系我们 | 隐私政策\n版权所有",
    "ja": "ホーム | ニュース | スポーツ | 文化\nお問い合わせ | プライバシーポリシー\n無断転載禁止",
}
