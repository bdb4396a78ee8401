//! The words of the generated archive: Ukrainian, Bulgarian and some English titles and
//! paragraphs assembled from a fixed vocabulary by a seeded generator, so that every run writes
//! the same archive and searches over it find the same things.

use rand::RngExt;
use rand::rngs::StdRng;

/// The language a generated document is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Ukrainian.
    Uk,
    /// Bulgarian.
    Bg,
    /// English.
    En,
}

/// One generated draft: its title and its paragraphs (one per edit).
#[derive(Debug, Clone)]
pub(super) struct DraftText {
    pub lang: Lang,
    pub title: String,
    pub paragraphs: Vec<String>,
}

fn pick<'a>(rng: &mut StdRng, list: &[&'a str]) -> &'a str {
    list[rng.random_range(0..list.len())]
}

const UK_ACTIONS: &[&str] = &[
    "затвердження",
    "внесення змін до",
    "виділення коштів на виконання",
    "погодження",
    "надання дозволу на розроблення",
    "затвердження звіту про виконання",
];
const UK_OBJECTS: &[&str] = &[
    "Програми розвитку",
    "бюджету громади в частині",
    "Положення про фінансування",
    "тарифів на послуги",
    "плану заходів щодо",
    "Статуту комунального підприємства у сфері",
    "бюджетних призначень для",
];
const UK_SUBJECTS: &[&str] = &[
    "освіти",
    "охорони здоров'я",
    "благоустрою міста",
    "дорожнього господарства",
    "водопостачання та водовідведення",
    "енергозбереження",
    "культури і туризму",
    "фізичної культури та спорту",
    "соціального захисту населення",
    "комунального майна",
    "житлового фонду",
    "містобудування",
    "цивільного захисту",
    "молодіжної політики",
];
const UK_STREETS: &[&str] = &[
    "Шевченка",
    "Лесі Українки",
    "Грушевського",
    "Соборна",
    "Київська",
    "Івана Франка",
    "Незалежності",
    "Миру",
];
const UK_ORGS: &[&str] = &[
    "Міськводоканал",
    "Житлосервіс",
    "Міськсвітло",
    "Зеленбуд",
    "Теплокомуненерго",
];

const BG_ACTIONS: &[&str] = &[
    "приемане на",
    "изменение и допълнение на",
    "одобряване на",
    "отпускане на средства за",
    "даване на съгласие за",
    "приемане на отчет за изпълнението на",
];
const BG_OBJECTS: &[&str] = &[
    "бюджета на общината за",
    "Наредба за",
    "общинска програма за",
    "план за действие за",
    "годишния план за",
    "стратегия за развитие на",
];
const BG_SUBJECTS: &[&str] = &[
    "образованието",
    "здравеопазването",
    "благоустройството",
    "пътната инфраструктура",
    "водоснабдяването",
    "енергийната ефективност",
    "културата и туризма",
    "спорта",
    "социалните услуги",
    "общинската собственост",
    "градоустройството",
    "екологията",
];
const BG_TOWNS: &[&str] = &[
    "Габрово",
    "Пловдив",
    "Русе",
    "Бургас",
    "Велико Търново",
    "Смолян",
];
const BG_STREETS: &[&str] = &[
    "Васил Левски",
    "Христо Ботев",
    "Цар Освободител",
    "Раковски",
    "Шипка",
];

const EN_ACTIONS: &[&str] = &["approval of", "amendments to", "funding for", "adoption of"];
const EN_OBJECTS: &[&str] = &[
    "the community budget for",
    "the development programme for",
    "the regulation on",
    "the action plan for",
];
const EN_SUBJECTS: &[&str] = &[
    "education",
    "public health",
    "road maintenance",
    "water supply",
    "energy efficiency",
    "culture",
    "sports",
    "social services",
    "municipal property",
];
const EN_STREETS: &[&str] = &["Park", "Station", "Mill", "River", "Church"];

fn lang(rng: &mut StdRng) -> Lang {
    match rng.random_range(0..20) {
        0..=9 => Lang::Uk,
        10..=17 => Lang::Bg,
        _ => Lang::En,
    }
}

fn subject(rng: &mut StdRng, lang: Lang) -> &'static str {
    match lang {
        Lang::Uk => pick(rng, UK_SUBJECTS),
        Lang::Bg => pick(rng, BG_SUBJECTS),
        Lang::En => pick(rng, EN_SUBJECTS),
    }
}

/// A draft decision in a random language with `paragraphs` paragraphs.
pub(super) fn draft(rng: &mut StdRng, paragraphs: usize) -> DraftText {
    let lang = lang(rng);
    let year = rng.random_range(2024..2029);
    let subject = subject(rng, lang);
    let mut title = match lang {
        Lang::Uk => {
            if rng.random_bool(0.15) {
                format!("Про затвердження бюджету громади на {year} рік")
            } else {
                format!(
                    "Про {} {} {subject} на {year} рік",
                    pick(rng, UK_ACTIONS),
                    pick(rng, UK_OBJECTS)
                )
            }
        }
        Lang::Bg => {
            if rng.random_bool(0.15) {
                format!(
                    "Относно приемане на бюджета на Община {} за {year} г.",
                    pick(rng, BG_TOWNS)
                )
            } else {
                format!(
                    "Относно {} {} {subject} за {year} г.",
                    pick(rng, BG_ACTIONS),
                    pick(rng, BG_OBJECTS)
                )
            }
        }
        Lang::En => format!(
            "On {} {} {subject} for {year}",
            pick(rng, EN_ACTIONS),
            pick(rng, EN_OBJECTS)
        ),
    };
    if rng.random_bool(0.1) {
        title = title.to_uppercase();
    }
    let paragraphs = (1..=paragraphs)
        .map(|k| format!("{k}. {}\n", sentence(rng, lang, subject, year)))
        .collect();
    DraftText {
        lang,
        title,
        paragraphs,
    }
}

/// One numbered paragraph's sentence about `subject`.
fn sentence(rng: &mut StdRng, lang: Lang, subject: &str, year: u32) -> String {
    let sum = rng.random_range(10..5000) * 1000;
    let num = rng.random_range(1..120);
    let art = rng.random_range(20..60);
    match lang {
        Lang::Uk => match rng.random_range(0..8) {
            0 => format!(
                "Відповідно до статті {art} Закону України «Про місцеве самоврядування в Україні» \
                 міська рада вирішила затвердити заходи у сфері {subject}."
            ),
            1 => format!("Виділити з міського бюджету {sum} гривень на потреби {subject}."),
            2 => format!(
                "Доручити виконавчому комітету забезпечити виконання заходів щодо {subject} у \
                 {year} році."
            ),
            3 => format!(
                "Контроль за виконанням рішення покласти на постійну комісію з питань {subject}."
            ),
            4 => format!(
                "Провести капітальний ремонт будівлі на вулиці {}, {num}.",
                pick(rng, UK_STREETS)
            ),
            5 => format!(
                "Надати дозвіл комунальному підприємству «{}» на укладення договору оренди.",
                pick(rng, UK_ORGS)
            ),
            6 => format!(
                "Фінансовому управлінню передбачити видатки на {subject} в бюджеті громади."
            ),
            _ => "Оприлюднити це рішення на офіційному вебсайті міської ради.".to_string(),
        },
        Lang::Bg => match rng.random_range(0..7) {
            0 => format!(
                "На основание чл. {art} от Закона за местното самоуправление и местната \
                 администрация Общинският съвет реши да приеме мерки в областта на {subject}."
            ),
            1 => format!(
                "Общински съвет {} одобрява разходи в размер на {sum} лева за {subject}.",
                pick(rng, BG_TOWNS)
            ),
            2 => {
                "Възлага на кмета на общината да организира изпълнението на решението.".to_string()
            }
            3 => format!(
                "Контролът по изпълнението на решението се възлага на постоянната комисия по \
                 {subject}."
            ),
            4 => format!(
                "Да се извърши ремонт на сградата на улица „{}“ № {num}.",
                pick(rng, BG_STREETS)
            ),
            5 => format!("Средствата за {subject} да се предвидят в бюджета на общината."),
            _ => "Решението да се публикува на интернет страницата на общината.".to_string(),
        },
        Lang::En => match rng.random_range(0..5) {
            0 => format!("The council decides to approve the measures for {subject}."),
            1 => format!("Allocate {sum} from the municipal budget for {subject} in {year}."),
            2 => format!("The standing committee on {subject} shall oversee the implementation."),
            3 => format!(
                "Repair the building at {num} {} Street.",
                pick(rng, EN_STREETS)
            ),
            _ => "Publish this decision on the council website.".to_string(),
        },
    }
}

/// A committee opinion on a draft written in `lang`: body, rationale and recommendation.
pub(super) fn opinion(rng: &mut StdRng, lang: Lang) -> (String, String, &'static str) {
    let subject = subject(rng, lang);
    let rec = pick(rng, &["support", "support", "amend", "reject"]);
    let (body, rationale) = match lang {
        Lang::Uk => (
            format!(
                "Постійна комісія з питань {subject} розглянула проєкт рішення на своєму \
                 засіданні та {}.",
                match rec {
                    "support" => "рекомендує раді його підтримати",
                    "amend" => "рекомендує доопрацювати його з урахуванням поправок",
                    _ => "рекомендує його відхилити",
                }
            ),
            format!(
                "Висновок комісії ґрунтується на аналізі видатків бюджету громади на {subject}."
            ),
        ),
        Lang::Bg => (
            format!(
                "Постоянната комисия по {subject} разгледа проекта за решение и {}.",
                match rec {
                    "support" => "предлага на общинския съвет да го приеме",
                    "amend" => "предлага той да бъде допълнен",
                    _ => "предлага той да бъде отхвърлен",
                }
            ),
            format!("Становището на комисията отчита разходите на общината за {subject}."),
        ),
        Lang::En => (
            format!(
                "The standing committee on {subject} reviewed the draft and recommends to {rec} it."
            ),
            format!("The committee weighed the cost of {subject} for the municipal budget."),
        ),
    };
    (body, rationale, rec)
}

/// An amendment to a draft written in `lang`: replacement text and rationale.
pub(super) fn amendment(rng: &mut StdRng, lang: Lang) -> (String, String) {
    let subject = subject(rng, lang);
    let year = rng.random_range(2024..2029);
    let text = sentence(rng, lang, subject, year);
    match lang {
        Lang::Uk => (
            format!("Викласти пункт 1 у такій редакції: «{text}»"),
            format!("Поправка уточнює видатки на {subject} та строки виконання."),
        ),
        Lang::Bg => (
            format!("Точка 1 да придобие следната редакция: „{text}“"),
            format!("Предложението за промени уточнява разходите за {subject}."),
        ),
        Lang::En => (
            format!("Replace item 1 with: \"{text}\""),
            format!("The amendment clarifies the spending on {subject}."),
        ),
    }
}

/// A deputy's personal note: title and body.
pub(super) fn note(rng: &mut StdRng) -> (String, String) {
    let subject = pick(rng, UK_SUBJECTS);
    (
        format!("Особиста нотатка про {subject}"),
        format!("Таємна думка депутата: поговорити з виборцями про {subject} до сесії."),
    )
}
