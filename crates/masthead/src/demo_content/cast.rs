//! Who and where the demo publication writes about: its sections, topics
//! and regions, its staff, the cities it files from, the names of the
//! people it quotes, and the foreign newspapers it translates. All of it
//! invented except the cities and countries, which stand in as datelines.

pub(super) const PUBLICATION_NAME: &str = "The Meridian Dispatch";
pub(super) const TAGLINE: &str = "The world's press, read in English";

pub(super) struct Desk {
    pub slug: &'static str,
    pub name: &'static str,
    pub description: &'static str,
}

pub(super) const SECTIONS: &[Desk] = &[
    Desk { slug: "world", name: "World", description: "News and reportage from the world's press, translated and edited for readers of English." },
    Desk { slug: "analysis", name: "Analysis", description: "The forces behind the headlines, explained by the people who cover them up close." },
    Desk { slug: "economy", name: "Economy", description: "Trade, energy, work and money, seen from the places that feel them first." },
    Desk { slug: "culture", name: "Culture", description: "Stages, screens, books and festivals: how societies tell their own stories." },
    Desk { slug: "society", name: "Society", description: "Everyday life, faith, health and the ties between generations." },
    Desk { slug: "opinion", name: "Opinion", description: "Arguments from columnists and guest writers across the world's press." },
];

pub(super) const REGIONS: &[Desk] = &[
    Desk { slug: "europe", name: "Europe", description: "From the Atlantic ports to the Polish plains, as Europe's own newspapers see it." },
    Desk { slug: "ukraine", name: "Ukraine", description: "Life, work and war in Ukraine, reported by Ukrainian and neighbouring newsrooms." },
    Desk { slug: "russia", name: "Russia", description: "Russia beyond the capital: its regions, its economy and its quieter debates." },
    Desk { slug: "china", name: "China", description: "China's provinces and cities through the eyes of its regional press." },
    Desk { slug: "east-asia", name: "East Asia", description: "Japan, Korea and Taiwan: ageing towns, new industries and old rivalries." },
    Desk { slug: "south-asia", name: "South Asia", description: "India, Pakistan, Bangladesh and Nepal, from the river deltas to the hills." },
    Desk { slug: "middle-east", name: "Middle East", description: "The Levant, the Gulf, Iraq and Turkey, reported from the ground." },
    Desk { slug: "africa", name: "Africa", description: "Africa's fast-growing cities and the countryside that feeds them." },
    Desk { slug: "latin-america", name: "Latin America", description: "From the Andes to the Amazon, in the words of the continent's own journalists." },
    Desk { slug: "central-asia", name: "Central Asia", description: "The steppe, the Caspian and the old Silk Road cities, in a changing neighbourhood." },
];

/// Regions that are often tagged alongside another one.
pub(super) fn neighbours(region: &str) -> &'static [&'static str] {
    match region {
        "europe" => &["ukraine", "russia", "africa", "middle-east"],
        "ukraine" => &["europe", "russia"],
        "russia" => &["ukraine", "central-asia", "china", "europe"],
        "china" => &["east-asia", "russia", "central-asia"],
        "east-asia" => &["china"],
        "south-asia" => &["china", "middle-east"],
        "middle-east" => &["europe", "africa", "central-asia"],
        "africa" => &["europe", "middle-east", "china"],
        "latin-america" => &["china", "europe"],
        "central-asia" => &["russia", "china", "middle-east"],
        _ => &[],
    }
}

/// How a place names its seasons; the prose says "a winter morning" in
/// Kharkiv and "a monsoon morning" in Dhaka.
#[derive(Clone, Copy)]
pub(super) enum Seasons {
    North,
    South,
    Monsoon,
    Tropics,
}

pub(super) struct Culture {
    pub male: &'static [&'static str],
    pub female: &'static [&'static str],
    /// (masculine, feminine) forms of each family name.
    pub family: &'static [(&'static str, &'static str)],
    /// Chinese and Korean names put the family name first.
    pub family_first: bool,
    /// (house of worship, who leads it)
    pub worship: &'static [(&'static str, &'static str)],
}

const fn same(s: &'static str) -> (&'static str, &'static str) {
    (s, s)
}

pub(super) const UKRAINIAN: Culture = Culture {
    male: &["Oleksandr", "Mykola", "Taras", "Andriy", "Serhiy", "Bohdan", "Vasyl", "Petro"],
    female: &["Iryna", "Halyna", "Olena", "Nadiya", "Yulia", "Larysa", "Tetiana", "Khrystyna"],
    family: &[same("Kovalenko"), same("Bondar"), same("Tkachuk"), same("Melnyk"), same("Lysenko"), same("Moroz"), same("Savchuk"), same("Hnatyuk"), same("Kravets"), same("Didenko"), same("Rudenko"), same("Yarema")],
    family_first: false,
    worship: &[("church", "priest")],
};
pub(super) const RUSSIAN: Culture = Culture {
    male: &["Alexei", "Dmitry", "Igor", "Yuri", "Pavel", "Sergei", "Vadim", "Gennady"],
    female: &["Marina", "Svetlana", "Natalya", "Lyudmila", "Anastasia", "Tatyana", "Vera", "Galina"],
    family: &[("Belov", "Belova"), ("Zhukov", "Zhukova"), ("Sokolov", "Sokolova"), ("Orlov", "Orlova"), ("Yermakov", "Yermakova"), ("Lebedev", "Lebedeva"), ("Kiselyov", "Kiselyova"), ("Gromov", "Gromova"), ("Sinitsyn", "Sinitsyna"), ("Panin", "Panina")],
    family_first: false,
    worship: &[("church", "priest")],
};
pub(super) const POLISH: Culture = Culture {
    male: &["Marek", "Paweł", "Krzysztof", "Jacek", "Wojciech", "Bartosz", "Grzegorz", "Łukasz"],
    female: &["Agnieszka", "Małgorzata", "Ewa", "Katarzyna", "Joanna", "Dorota", "Beata", "Zofia"],
    family: &[("Nowicki", "Nowicka"), ("Zieliński", "Zielińska"), same("Wróbel"), same("Kaczmarek"), ("Jabłoński", "Jabłońska"), ("Sadowski", "Sadowska"), same("Pawlak"), same("Krawczyk")],
    family_first: false,
    worship: &[("parish church", "parish priest")],
};
pub(super) const GERMAN: Culture = Culture {
    male: &["Matthias", "Jürgen", "Stefan", "Florian", "Tobias", "Uwe", "Klaus", "Niklas"],
    female: &["Sabine", "Katrin", "Anja", "Heike", "Miriam", "Ulrike", "Lena", "Petra"],
    family: &[same("Brandt"), same("Hoffmann"), same("Krüger"), same("Lehmann"), same("Vogel"), same("Schuster"), same("Hartmann"), same("Engel"), same("Wendt"), same("Seidel")],
    family_first: false,
    worship: &[("church", "pastor")],
};
pub(super) const FRENCH: Culture = Culture {
    male: &["Olivier", "Thierry", "Julien", "Mathieu", "Bernard", "Yannick", "Rémi", "Laurent"],
    female: &["Céline", "Nathalie", "Sandrine", "Élodie", "Martine", "Camille", "Sophie", "Aurélie"],
    family: &[same("Marchand"), same("Giraud"), same("Lefebvre"), same("Roussel"), same("Fabre"), same("Morel"), same("Chevalier"), same("Barbier"), same("Perrin"), same("Gauthier")],
    family_first: false,
    worship: &[("church", "priest"), ("mosque", "imam")],
};
pub(super) const ITALIAN: Culture = Culture {
    male: &["Giorgio", "Massimo", "Stefano", "Luca", "Salvatore", "Davide", "Franco", "Enzo"],
    female: &["Giulia", "Francesca", "Paola", "Rosaria", "Chiara", "Antonella", "Serena", "Lucia"],
    family: &[same("Esposito"), same("Romano"), same("Greco"), same("Ferrara"), same("De Luca"), same("Marino"), same("Caruso"), same("Rinaldi"), same("Gallo"), same("Vitale")],
    family_first: false,
    worship: &[("church", "parish priest")],
};
pub(super) const SPANISH: Culture = Culture {
    male: &["Javier", "Andrés", "Sergio", "Raúl", "Manuel", "Álvaro", "Pablo", "Vicente"],
    female: &["Lucía", "Carmen", "Pilar", "Marta", "Elena", "Nuria", "Rocío", "Beatriz"],
    family: &[same("García"), same("Navarro"), same("Romero"), same("Ortega"), same("Delgado"), same("Castillo"), same("Vidal"), same("Serrano"), same("Molina"), same("Herrero")],
    family_first: false,
    worship: &[("church", "parish priest")],
};
pub(super) const LATIN_AMERICAN: Culture = Culture {
    male: &["Mateo", "Diego", "Alejandro", "Jorge", "Ricardo", "Hernán", "Esteban", "Luis"],
    female: &["Valentina", "Camila", "Daniela", "Gabriela", "Rosa", "Ximena", "Paola", "Mariana"],
    family: &[same("Fernández"), same("Rojas"), same("Vargas"), same("Mendoza"), same("Quispe"), same("Salazar"), same("Cárdenas"), same("Ríos"), same("Aguilar"), same("Paredes")],
    family_first: false,
    worship: &[("church", "priest"), ("evangelical church", "pastor")],
};
pub(super) const PORTUGUESE: Culture = Culture {
    male: &["João", "Rui", "Nuno", "Tiago", "Miguel", "Paulo", "Vasco", "Hugo"],
    female: &["Inês", "Catarina", "Teresa", "Sofia", "Rita", "Filipa", "Marta", "Helena"],
    family: &[same("Ferreira"), same("Sousa"), same("Carvalho"), same("Pinto"), same("Teixeira"), same("Moreira"), same("Correia"), same("Lopes")],
    family_first: false,
    worship: &[("church", "priest")],
};
pub(super) const BRAZILIAN: Culture = Culture {
    male: &["Thiago", "Rafael", "Marcelo", "Anderson", "Gustavo", "Leandro", "Fábio", "Rodrigo"],
    female: &["Fernanda", "Juliana", "Aline", "Patrícia", "Luana", "Camila", "Tatiane", "Renata"],
    family: &[same("Silva"), same("Santos"), same("Oliveira"), same("Souza"), same("Almeida"), same("Barbosa"), same("Nascimento"), same("Cavalcanti"), same("Ribeiro"), same("Moura")],
    family_first: false,
    worship: &[("church", "priest"), ("evangelical church", "pastor")],
};
pub(super) const LUSOPHONE_AFRICAN: Culture = Culture {
    male: &["Armando", "Celso", "Edson", "Nelson", "Jacinto", "Domingos", "Lázaro", "Abel"],
    female: &["Graça", "Esperança", "Luísa", "Amélia", "Celeste", "Nádia", "Joana", "Rosalina"],
    family: &[same("Macuácua"), same("Nhantumbo"), same("Cossa"), same("Sitoe"), same("Mabunda"), same("Tembe"), same("Kiala"), same("Mendes"), same("Mateus")],
    family_first: false,
    worship: &[("church", "priest")],
};
pub(super) const CHINESE: Culture = Culture {
    male: &["Jianguo", "Wei", "Haoran", "Qiang", "Dong", "Zhiyuan", "Lei", "Bo"],
    female: &["Lihua", "Xiaomei", "Fang", "Jing", "Yan", "Ruoxi", "Hui", "Mei"],
    family: &[same("Wang"), same("Li"), same("Zhang"), same("Liu"), same("Chen"), same("Yang"), same("Zhou"), same("Xu"), same("Sun"), same("Ma"), same("Hu"), same("Guo")],
    family_first: true,
    worship: &[("temple", "abbot")],
};
pub(super) const TAIWANESE: Culture = Culture {
    male: &["Chih-hao", "Wei-lun", "Kuan-ting", "Ming-hsien", "Po-wen", "Yu-chen"],
    female: &["Yi-ting", "Shu-fen", "Hsin-yi", "Pei-shan", "Ya-wen", "Mei-ling"],
    family: &[same("Chen"), same("Lin"), same("Huang"), same("Tsai"), same("Hsu"), same("Cheng"), same("Lai"), same("Wu")],
    family_first: true,
    worship: &[("temple", "temple keeper")],
};
pub(super) const JAPANESE: Culture = Culture {
    male: &["Hiroshi", "Takeshi", "Kazuo", "Daisuke", "Shota", "Makoto", "Ryo", "Tetsuya"],
    female: &["Yuko", "Naoko", "Emi", "Haruka", "Keiko", "Aiko", "Sachiko", "Mio"],
    family: &[same("Tanaka"), same("Nakamura"), same("Kobayashi"), same("Matsuda"), same("Fujii"), same("Ishikawa"), same("Mori"), same("Sakamoto"), same("Hayashi"), same("Nishida")],
    family_first: false,
    worship: &[("shrine", "chief priest"), ("temple", "head monk")],
};
pub(super) const KOREAN: Culture = Culture {
    male: &["Min-jun", "Jae-hyun", "Sung-ho", "Dong-hyuk", "Tae-woo", "Ji-hoon"],
    female: &["Ji-yeon", "Soo-jin", "Hye-won", "Eun-ji", "Min-seo", "Ha-eun"],
    family: &[same("Kim"), same("Park"), same("Lee"), same("Choi"), same("Jung"), same("Kang"), same("Yoon"), same("Han")],
    family_first: true,
    worship: &[("church", "pastor"), ("temple", "head monk")],
};
pub(super) const LEVANTINE: Culture = Culture {
    male: &["Karim", "Omar", "Yousef", "Samir", "Hassan", "Tariq", "Nabil", "Ziad"],
    female: &["Rania", "Huda", "Lina", "Mariam", "Nour", "Salma", "Dalia", "Samira"],
    family: &[same("al-Khatib"), same("Haddad"), same("Nasser"), same("Aboud"), same("al-Masri"), same("Saleh"), same("Darwish"), same("Khoury"), same("Hamdan"), same("al-Jaber")],
    family_first: false,
    worship: &[("mosque", "imam"), ("church", "priest")],
};
pub(super) const MAGHREBI: Culture = Culture {
    male: &["Mehdi", "Anis", "Hichem", "Slim", "Walid", "Karim", "Sami", "Fares"],
    female: &["Amira", "Ines", "Sonia", "Rim", "Yasmine", "Meriem", "Olfa", "Salma"],
    family: &[same("Ben Salem"), same("Trabelsi"), same("Jaziri"), same("Gharbi"), same("Mejri"), same("Chaabane"), same("Ben Ammar"), same("Hammami")],
    family_first: false,
    worship: &[("mosque", "imam")],
};
pub(super) const TURKISH: Culture = Culture {
    male: &["Mehmet", "Emre", "Murat", "Hakan", "Burak", "Serkan", "Kemal", "Onur"],
    female: &["Ayşe", "Zeynep", "Derya", "Gülşen", "Esra", "Meltem", "Seda", "Hande"],
    family: &[same("Yıldız"), same("Aydın"), same("Öztürk"), same("Kaya"), same("Çelik"), same("Doğan"), same("Arslan"), same("Koç"), same("Şahin"), same("Polat")],
    family_first: false,
    worship: &[("mosque", "imam")],
};
pub(super) const KURDISH: Culture = Culture {
    male: &["Rebwar", "Shwan", "Karwan", "Dilshad", "Aso", "Hemin"],
    female: &["Shilan", "Nazdar", "Avin", "Bahar", "Sozan", "Rezan"],
    family: &[same("Ahmed"), same("Aziz"), same("Rashid"), same("Mahmoud"), same("Qadir"), same("Salih")],
    family_first: false,
    worship: &[("mosque", "imam")],
};
pub(super) const WEST_AFRICAN: Culture = Culture {
    male: &["Moussa", "Ibrahima", "Abdoulaye", "Mamadou", "Cheikh", "Yao", "Seydou", "Koffi"],
    female: &["Aminata", "Fatou", "Awa", "Mariam", "Aïssatou", "Adjoua", "Rokia", "Khady"],
    family: &[same("Diallo"), same("Ndiaye"), same("Traoré"), same("Sow"), same("Koné"), same("Camara"), same("Diop"), same("Kouassi"), same("Coulibaly"), same("Sarr")],
    family_first: false,
    worship: &[("mosque", "imam"), ("church", "priest")],
};
pub(super) const NIGERIAN: Culture = Culture {
    male: &["Chinedu", "Tunde", "Emeka", "Ibrahim", "Segun", "Musa", "Obinna", "Yakubu"],
    female: &["Ngozi", "Funmilayo", "Aisha", "Chioma", "Bisi", "Hadiza", "Adaeze", "Zainab"],
    family: &[same("Okafor"), same("Adeyemi"), same("Bello"), same("Nwosu"), same("Abubakar"), same("Ogunleye"), same("Eze"), same("Lawal"), same("Danjuma"), same("Okoro")],
    family_first: false,
    worship: &[("church", "pastor"), ("mosque", "imam")],
};
pub(super) const KENYAN: Culture = Culture {
    male: &["Brian", "Kevin", "Samuel", "Peter", "Dennis", "Collins"],
    female: &["Wanjiru", "Grace", "Faith", "Mercy", "Akinyi", "Njeri"],
    family: &[same("Otieno"), same("Kamau"), same("Mwangi"), same("Ochieng"), same("Kiprop"), same("Mutua"), same("Njoroge"), same("Kariuki")],
    family_first: false,
    worship: &[("church", "pastor")],
};
pub(super) const BANGLADESHI: Culture = Culture {
    male: &["Rafiq", "Tanvir", "Shahidul", "Mizanur", "Arif", "Kamrul"],
    female: &["Nasrin", "Farzana", "Shirin", "Rokeya", "Tahmina", "Sumaiya"],
    family: &[same("Hossain"), same("Rahman"), same("Islam"), same("Chowdhury"), same("Ahmed"), same("Sarkar"), same("Talukder"), same("Molla")],
    family_first: false,
    worship: &[("mosque", "imam")],
};
pub(super) const BENGALI: Culture = Culture {
    male: &["Debashis", "Arnab", "Subhajit", "Sourav", "Partha", "Anirban"],
    female: &["Moumita", "Sharmila", "Rituparna", "Ananya", "Sudipta", "Paromita"],
    family: &[same("Banerjee"), same("Chatterjee"), same("Das"), same("Ghosh"), same("Sen"), same("Mukherjee"), same("Bose"), same("Mitra")],
    family_first: false,
    worship: &[("temple", "temple priest")],
};
pub(super) const TAMIL: Culture = Culture {
    male: &["Karthik", "Senthil", "Murugan", "Arun", "Vignesh", "Rajesh"],
    female: &["Lakshmi", "Kavitha", "Meena", "Priya", "Revathi", "Divya"],
    family: &[same("Subramanian"), same("Raman"), same("Krishnan"), same("Natarajan"), same("Pillai"), same("Venkatesan"), same("Selvam")],
    family_first: false,
    worship: &[("temple", "temple priest")],
};
pub(super) const PAKISTANI: Culture = Culture {
    male: &["Bilal", "Usman", "Faisal", "Asad", "Hamza", "Kamran"],
    female: &["Ayesha", "Sana", "Mehwish", "Rabia", "Hina", "Saima"],
    family: &[same("Qureshi"), same("Butt"), same("Malik"), same("Chaudhry"), same("Sheikh"), same("Mirza"), same("Baig"), same("Javed")],
    family_first: false,
    worship: &[("mosque", "imam")],
};
pub(super) const NEPALI: Culture = Culture {
    male: &["Suman", "Bikash", "Ramesh", "Prakash", "Rajan", "Sujan"],
    female: &["Sita", "Anju", "Sabina", "Pratiksha", "Kamala", "Binita"],
    family: &[same("Shrestha"), same("Gurung"), same("Tamang"), same("Thapa"), same("Maharjan"), same("Adhikari"), same("Rai"), same("Karki")],
    family_first: false,
    worship: &[("temple", "temple priest"), ("monastery", "abbot")],
};
pub(super) const KAZAKH: Culture = Culture {
    male: &["Nurlan", "Yerlan", "Daniyar", "Askar", "Bauyrzhan", "Timur"],
    female: &["Aigerim", "Dinara", "Saule", "Gulnara", "Madina", "Zhanar"],
    family: &[("Abenov", "Abenova"), same("Seitkali"), ("Nurpeisov", "Nurpeisova"), ("Zhumabayev", "Zhumabayeva"), ("Omarov", "Omarova"), ("Kassymov", "Kassymova")],
    family_first: false,
    worship: &[("mosque", "imam")],
};
pub(super) const UZBEK: Culture = Culture {
    male: &["Bakhodir", "Sherzod", "Rustam", "Jasur", "Otabek", "Farrukh"],
    female: &["Dilnoza", "Nilufar", "Gulnora", "Malika", "Zarina", "Feruza"],
    family: &[("Yusupov", "Yusupova"), ("Tursunov", "Tursunova"), ("Rakhimov", "Rakhimova"), ("Ergashev", "Ergasheva"), ("Nazarov", "Nazarova"), ("Umarov", "Umarova")],
    family_first: false,
    worship: &[("mosque", "imam")],
};
pub(super) const KYRGYZ: Culture = Culture {
    male: &["Azamat", "Bakyt", "Emil", "Nurbek", "Talant", "Kubanych"],
    female: &["Aizada", "Cholpon", "Gulzat", "Nazira", "Aida", "Elmira"],
    family: &[("Asanov", "Asanova"), ("Toktogulov", "Toktogulova"), ("Beishenaliev", "Beishenalieva"), ("Osmonov", "Osmonova"), ("Sydykov", "Sydykova"), ("Mamatov", "Mamatova")],
    family_first: false,
    worship: &[("mosque", "imam")],
};
pub(super) const TAJIK: Culture = Culture {
    male: &["Firuz", "Daler", "Manuchehr", "Farhod", "Bahrom", "Shuhrat"],
    female: &["Parvina", "Mehrangez", "Shahnoza", "Zebo", "Nigora", "Dilafruz"],
    family: &[("Saidov", "Saidova"), ("Sharipov", "Sharipova"), ("Kurbonov", "Kurbonova"), ("Mirzoev", "Mirzoeva"), ("Safarov", "Safarova")],
    family_first: false,
    worship: &[("mosque", "imam")],
};

/// A city the publication files from. The flags say which pictures suit it:
/// no lighthouse for Kharkiv, no dunes for Sapporo.
pub(super) struct Place {
    pub city: &'static str,
    pub country: &'static str,
    pub region: &'static str,
    pub culture: &'static Culture,
    /// Languages of the newspapers we translate from that write from here.
    pub languages: &'static [&'static str],
    pub currency: &'static str,
    pub seasons: Seasons,
    pub coast: bool,
    pub arid: bool,
    pub mountains: bool,
    pub cold: bool,
    /// Near a land border or a border river.
    pub border: bool,
    /// Within reach of the front line of the war.
    pub front: bool,
}

#[expect(clippy::too_many_arguments, reason = "one row of the table of places")]
const fn place(
    city: &'static str,
    country: &'static str,
    region: &'static str,
    culture: &'static Culture,
    languages: &'static [&'static str],
    currency: &'static str,
    seasons: Seasons,
    flags: &'static str,
) -> Place {
    // flags: c = coast, a = arid, m = mountains, k = cold winters, b = border,
    // f = near the front line
    let b = flags.as_bytes();
    let mut front = false;
    let mut border = false;
    let mut coast = false;
    let mut arid = false;
    let mut mountains = false;
    let mut cold = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'c' => coast = true,
            b'a' => arid = true,
            b'm' => mountains = true,
            b'k' => cold = true,
            b'b' => border = true,
            b'f' => front = true,
            _ => {}
        }
        i += 1;
    }
    Place { city, country, region, culture, languages, currency, seasons, coast, arid, mountains, cold, border, front }
}

use Seasons::{Monsoon, North, South, Tropics};

pub(super) const PLACES: &[Place] = &[
    place("Warsaw", "Poland", "europe", &POLISH, &["pl"], "zlotys", North, "k"),
    place("Kraków", "Poland", "europe", &POLISH, &["pl"], "zlotys", North, "k"),
    place("Gdańsk", "Poland", "europe", &POLISH, &["pl", "de"], "zlotys", North, "ckb"),
    place("Leipzig", "Germany", "europe", &GERMAN, &["de"], "euros", North, "k"),
    place("Hamburg", "Germany", "europe", &GERMAN, &["de"], "euros", North, "c"),
    place("Lyon", "France", "europe", &FRENCH, &["fr"], "euros", North, ""),
    place("Marseille", "France", "europe", &FRENCH, &["fr"], "euros", North, "c"),
    place("Porto", "Portugal", "europe", &PORTUGUESE, &["pt"], "euros", North, "c"),
    place("Naples", "Italy", "europe", &ITALIAN, &["it"], "euros", North, "cm"),
    place("Bologna", "Italy", "europe", &ITALIAN, &["it"], "euros", North, ""),
    place("Valencia", "Spain", "europe", &SPANISH, &["es"], "euros", North, "c"),
    place("Kharkiv", "Ukraine", "ukraine", &UKRAINIAN, &["uk", "pl"], "hryvnias", North, "kbf"),
    place("Kyiv", "Ukraine", "ukraine", &UKRAINIAN, &["uk", "pl", "de"], "hryvnias", North, "k"),
    place("Odesa", "Ukraine", "ukraine", &UKRAINIAN, &["uk", "fr"], "hryvnias", North, "cb"),
    place("Dnipro", "Ukraine", "ukraine", &UKRAINIAN, &["uk"], "hryvnias", North, "kf"),
    place("Zaporizhzhia", "Ukraine", "ukraine", &UKRAINIAN, &["uk"], "hryvnias", North, "kf"),
    place("Lviv", "Ukraine", "ukraine", &UKRAINIAN, &["uk", "pl"], "hryvnias", North, "kb"),
    place("Mykolaiv", "Ukraine", "ukraine", &UKRAINIAN, &["uk"], "hryvnias", North, "cf"),
    place("Chernihiv", "Ukraine", "ukraine", &UKRAINIAN, &["uk"], "hryvnias", North, "kb"),
    place("Sumy", "Ukraine", "ukraine", &UKRAINIAN, &["uk"], "hryvnias", North, "kbf"),
    place("Blagoveshchensk", "Russia", "russia", &RUSSIAN, &["ru"], "roubles", North, "kb"),
    place("Kazan", "Russia", "russia", &RUSSIAN, &["ru"], "roubles", North, "k"),
    place("Yekaterinburg", "Russia", "russia", &RUSSIAN, &["ru"], "roubles", North, "k"),
    place("Murmansk", "Russia", "russia", &RUSSIAN, &["ru"], "roubles", North, "ck"),
    place("Vladivostok", "Russia", "russia", &RUSSIAN, &["ru"], "roubles", North, "ckb"),
    place("Novosibirsk", "Russia", "russia", &RUSSIAN, &["ru"], "roubles", North, "k"),
    place("Kaliningrad", "Russia", "russia", &RUSSIAN, &["ru", "pl"], "roubles", North, "ckb"),
    place("Omsk", "Russia", "russia", &RUSSIAN, &["ru"], "roubles", North, "kb"),
    place("Heihe", "China", "china", &CHINESE, &["zh", "ru"], "yuan", North, "kb"),
    place("Shenzhen", "China", "china", &CHINESE, &["zh"], "yuan", North, "cb"),
    place("Chengdu", "China", "china", &CHINESE, &["zh"], "yuan", North, "m"),
    place("Harbin", "China", "china", &CHINESE, &["zh", "ru"], "yuan", North, "k"),
    place("Wuhan", "China", "china", &CHINESE, &["zh"], "yuan", North, ""),
    place("Xiamen", "China", "china", &CHINESE, &["zh"], "yuan", North, "c"),
    place("Kunming", "China", "china", &CHINESE, &["zh"], "yuan", North, "m"),
    place("Osaka", "Japan", "east-asia", &JAPANESE, &["ja"], "yen", North, "c"),
    place("Sapporo", "Japan", "east-asia", &JAPANESE, &["ja"], "yen", North, "mk"),
    place("Fukuoka", "Japan", "east-asia", &JAPANESE, &["ja"], "yen", North, "c"),
    place("Niigata", "Japan", "east-asia", &JAPANESE, &["ja"], "yen", North, "ck"),
    place("Busan", "South Korea", "east-asia", &KOREAN, &[], "won", North, "cm"),
    place("Taipei", "Taiwan", "east-asia", &TAIWANESE, &["zh"], "Taiwan dollars", Tropics, "m"),
    place("Dhaka", "Bangladesh", "south-asia", &BANGLADESHI, &[], "taka", Monsoon, ""),
    place("Kolkata", "India", "south-asia", &BENGALI, &[], "rupees", Monsoon, "cb"),
    place("Chennai", "India", "south-asia", &TAMIL, &[], "rupees", Monsoon, "c"),
    place("Lahore", "Pakistan", "south-asia", &PAKISTANI, &[], "rupees", Monsoon, "ab"),
    place("Kathmandu", "Nepal", "south-asia", &NEPALI, &[], "rupees", Monsoon, "m"),
    place("Beirut", "Lebanon", "middle-east", &LEVANTINE, &["ar", "fr"], "dollars", North, "cm"),
    place("Amman", "Jordan", "middle-east", &LEVANTINE, &["ar"], "dinars", North, "a"),
    place("Basra", "Iraq", "middle-east", &LEVANTINE, &["ar"], "dinars", North, "acb"),
    place("Erbil", "Iraq", "middle-east", &KURDISH, &["ar", "tr"], "dinars", North, "mb"),
    place("Gaziantep", "Turkey", "middle-east", &TURKISH, &["tr"], "lira", North, "b"),
    place("Izmir", "Turkey", "middle-east", &TURKISH, &["tr"], "lira", North, "c"),
    place("Muscat", "Oman", "middle-east", &LEVANTINE, &["ar"], "rials", North, "cam"),
    place("Dakar", "Senegal", "africa", &WEST_AFRICAN, &["fr"], "CFA francs", Tropics, "ca"),
    place("Abidjan", "Côte d'Ivoire", "africa", &WEST_AFRICAN, &["fr"], "CFA francs", Tropics, "c"),
    place("Bamako", "Mali", "africa", &WEST_AFRICAN, &["fr"], "CFA francs", Tropics, "a"),
    place("Maputo", "Mozambique", "africa", &LUSOPHONE_AFRICAN, &["pt"], "meticais", South, "cb"),
    place("Luanda", "Angola", "africa", &LUSOPHONE_AFRICAN, &["pt"], "kwanzas", Tropics, "c"),
    place("Tunis", "Tunisia", "africa", &MAGHREBI, &["ar", "fr"], "dinars", North, "c"),
    place("Nairobi", "Kenya", "africa", &KENYAN, &[], "shillings", Tropics, ""),
    place("Lagos", "Nigeria", "africa", &NIGERIAN, &[], "naira", Tropics, "cb"),
    place("Valparaíso", "Chile", "latin-america", &LATIN_AMERICAN, &["es"], "pesos", South, "cm"),
    place("Medellín", "Colombia", "latin-america", &LATIN_AMERICAN, &["es"], "pesos", Tropics, "m"),
    place("La Paz", "Bolivia", "latin-america", &LATIN_AMERICAN, &["es"], "bolivianos", South, "mab"),
    place("Oaxaca", "Mexico", "latin-america", &LATIN_AMERICAN, &["es"], "pesos", North, "m"),
    place("Rosario", "Argentina", "latin-america", &LATIN_AMERICAN, &["es"], "pesos", South, ""),
    place("Cusco", "Peru", "latin-america", &LATIN_AMERICAN, &["es"], "soles", South, "m"),
    place("Montevideo", "Uruguay", "latin-america", &LATIN_AMERICAN, &["es"], "pesos", South, "cb"),
    place("Belém", "Brazil", "latin-america", &BRAZILIAN, &["pt"], "reais", Tropics, "c"),
    place("Porto Alegre", "Brazil", "latin-america", &BRAZILIAN, &["pt"], "reais", South, ""),
    place("Manaus", "Brazil", "latin-america", &BRAZILIAN, &["pt"], "reais", Tropics, ""),
    place("Almaty", "Kazakhstan", "central-asia", &KAZAKH, &["ru"], "tenge", North, "mkb"),
    place("Aktau", "Kazakhstan", "central-asia", &KAZAKH, &["ru"], "tenge", North, "ca"),
    place("Tashkent", "Uzbekistan", "central-asia", &UZBEK, &["ru"], "soums", North, "ab"),
    place("Samarkand", "Uzbekistan", "central-asia", &UZBEK, &["ru", "tr"], "soums", North, "ab"),
    place("Bishkek", "Kyrgyzstan", "central-asia", &KYRGYZ, &["ru", "tr"], "soms", North, "mkb"),
    place("Osh", "Kyrgyzstan", "central-asia", &KYRGYZ, &["ru"], "soms", North, "mb"),
    place("Dushanbe", "Tajikistan", "central-asia", &TAJIK, &["ru"], "somoni", North, "m"),
];

/// A member of staff: correspondents, editors and the translators who
/// also write. `languages` are what they translate from.
pub(super) struct Staffer {
    pub slug: &'static str,
    pub name: &'static str,
    pub title: &'static str,
    pub bio: &'static str,
    pub languages: &'static [&'static str],
    pub regions: &'static [&'static str],
}

pub(super) const STAFF: &[Staffer] = &[
    Staffer {
        slug: "anouk-verhaegen",
        name: "Anouk Verhaegen",
        title: "Europe editor",
        bio: "Anouk Verhaegen edits the Dispatch's European coverage from Brussels. She spent a decade on regional dailies in Flanders and northern France before joining, and still reads six local newspapers before breakfast.",
        languages: &["fr", "de"],
        regions: &["europe"],
    },
    Staffer {
        slug: "tomasz-wierzbicki",
        name: "Tomasz Wierzbicki",
        title: "Central Europe correspondent, Warsaw",
        bio: "Tomasz Wierzbicki reports on Poland, the Baltic coast and the long eastern border. He translates from Polish and Ukrainian, and once spent a winter riding every regional bus line in his home province for a series on disappearing villages.",
        languages: &["pl", "uk"],
        regions: &["europe", "ukraine"],
    },
    Staffer {
        slug: "oksana-hrytsenko",
        name: "Oksana Hrytsenko",
        title: "Kyiv correspondent",
        bio: "Oksana Hrytsenko has covered the war from Kyiv, Kharkiv and the south since its first days. She translates from Ukrainian and Russian and edits the Dispatch's Ukraine newsletter.",
        languages: &["uk", "ru"],
        regions: &["ukraine", "russia"],
    },
    Staffer {
        slug: "daniel-osei-mensah",
        name: "Daniel Osei-Mensah",
        title: "West Africa correspondent, Dakar",
        bio: "Daniel Osei-Mensah grew up in Kumasi and has reported from a dozen countries across the Sahel and the Gulf of Guinea. He writes about trade, migration and the cities that grow faster than their maps.",
        languages: &["fr"],
        regions: &["africa"],
    },
    Staffer {
        slug: "lucia-arriaga",
        name: "Lucía Arriaga",
        title: "Latin America editor",
        bio: "Lucía Arriaga runs the Latin America desk from Montevideo. A former radio reporter, she translates from Spanish and Portuguese and has a weakness for long stories about rivers.",
        languages: &["es", "pt"],
        regions: &["latin-america", "africa", "europe"],
    },
    Staffer {
        slug: "zhao-meilin",
        name: "Zhao Meilin",
        title: "China desk editor",
        bio: "Zhao Meilin reads China's regional press so that readers don't have to. Before joining the Dispatch she was a business reporter in Chengdu and a translator of crime novels.",
        languages: &["zh"],
        regions: &["china", "east-asia"],
    },
    Staffer {
        slug: "kenji-ohara",
        name: "Kenji Ohara",
        title: "East Asia correspondent, Osaka",
        bio: "Kenji Ohara covers Japan, Korea and Taiwan, with a particular interest in ageing towns, energy and the factories that follow cheap power. He translates from Japanese.",
        languages: &["ja"],
        regions: &["east-asia", "china"],
    },
    Staffer {
        slug: "farah-haddadin",
        name: "Farah Haddadin",
        title: "Middle East correspondent, Amman",
        bio: "Farah Haddadin has reported from Jordan, Iraq and Lebanon for fifteen years. She translates from Arabic and French and writes the Dispatch's weekly Levant briefing.",
        languages: &["ar", "fr"],
        regions: &["middle-east", "africa"],
    },
    Staffer {
        slug: "elif-karaca",
        name: "Elif Karaca",
        title: "Contributing editor, Istanbul",
        bio: "Elif Karaca writes about Turkey, the Caucasus and Central Asia, and translates from Turkish and Russian. She used to edit a cultural monthly and still reviews more novels than she admits to.",
        languages: &["tr", "ru"],
        regions: &["middle-east", "central-asia"],
    },
    Staffer {
        slug: "rohan-varghese",
        name: "Rohan Varghese",
        title: "South Asia correspondent, Kolkata",
        bio: "Rohan Varghese reports from India, Bangladesh, Nepal and Pakistan, mostly from places where the train stops once a day. He joined the Dispatch after eight years on a regional daily in the south.",
        languages: &[],
        regions: &["south-asia"],
    },
    Staffer {
        slug: "helene-marchetti",
        name: "Hélène Marchetti",
        title: "Translator and culture editor",
        bio: "Hélène Marchetti translates from French and Italian and edits the Dispatch's culture pages. She divides her time between Marseille and Naples, and between the two languages.",
        languages: &["fr", "it"],
        regions: &["europe", "africa"],
    },
    Staffer {
        slug: "jonas-albrecht",
        name: "Jonas Albrecht",
        title: "Economics editor",
        bio: "Jonas Albrecht writes about energy, trade and the money behind both. He translates from German and spent six years as a business correspondent in Hamburg before moving to the economics desk.",
        languages: &["de"],
        regions: &["europe", "russia", "central-asia"],
    },
];

/// A newspaper abroad whose work we translate. Invented, every one.
pub(super) struct Outlet {
    pub name: &'static str,
    pub language: &'static str,
}

pub(super) const OUTLETS: &[Outlet] = &[
    Outlet { name: "Rechnoy Kurier", language: "ru" },
    Outlet { name: "Vecherny Bereg", language: "ru" },
    Outlet { name: "Prykordonnyi Visnyk", language: "uk" },
    Outlet { name: "Stepova Hazeta", language: "uk" },
    Outlet { name: "Kurier Wschodni", language: "pl" },
    Outlet { name: "Tygodnik Przystań", language: "pl" },
    Outlet { name: "Elbtal-Anzeiger", language: "de" },
    Outlet { name: "Die Wochenbrücke", language: "de" },
    Outlet { name: "Le Courrier des Deux Rives", language: "fr" },
    Outlet { name: "L'Écho du Plateau", language: "fr" },
    Outlet { name: "Crónica Austral", language: "es" },
    Outlet { name: "El Heraldo de la Meseta", language: "es" },
    Outlet { name: "Gazeta do Porto", language: "pt" },
    Outlet { name: "Folha da Várzea", language: "pt" },
    Outlet { name: "La Gazzetta del Delta", language: "it" },
    Outlet { name: "Il Nuovo Osservatore", language: "it" },
    Outlet { name: "Lanhe Chenbao", language: "zh" },
    Outlet { name: "Yunshan Zhoukan", language: "zh" },
    Outlet { name: "Kitakaze Shimpo", language: "ja" },
    Outlet { name: "Setouchi Yukan", language: "ja" },
    Outlet { name: "Al-Manara al-Jadida", language: "ar" },
    Outlet { name: "Sada al-Wadi", language: "ar" },
    Outlet { name: "Kıyı Postası", language: "tr" },
    Outlet { name: "Yeni Pusula", language: "tr" },
];

/// How headlines look in a language we translate from: the topic words
/// and a few title shapes. `{place}` and `{topic}` are filled in.
pub(super) struct Tongue {
    pub tag: &'static str,
    /// In the order of `beats::BEATS`.
    pub topics: [&'static str; 10],
    pub titles: &'static [&'static str],
    /// Freelance translators who work from this language.
    pub freelancers: &'static [&'static str],
    /// Path segments the outlet's website uses for articles.
    pub paths: &'static [&'static str],
}

pub(super) const TONGUES: &[Tongue] = &[
    Tongue {
        tag: "ru",
        topics: ["Voyna", "Klimat", "Vybory", "Energetika", "Migratsiya", "Tekhnologii", "Torgovlya", "Zdorovye", "Vera", "Granitsa"],
        titles: &["{place}: god spustya", "{topic}. Reportazh iz goroda {place}", "Kak zhivyot gorod {place}", "{topic}: chto dalshe", "Lyudi, kotorye ostalis", "{topic} i tishina: zametki iz goroda {place}", "Tam, gde konchayetsya doroga"],
        freelancers: &["Nadia Orlik", "Pyotr Leskov"],
        paths: &["obshchestvo", "region", "ekonomika"],
    },
    Tongue {
        tag: "uk",
        topics: ["Viyna", "Klimat", "Vybory", "Enerhetyka", "Mihratsiya", "Tekhnolohiyi", "Torhivlya", "Zdorovya", "Vira", "Kordon"],
        titles: &["{place}: rik potomu", "Yak zhyve misto {place}", "{topic}. Reportazh z mista {place}", "Lyudy, yaki zalyshylysya", "{topic}: shcho dali", "Nich u misti {place}"],
        freelancers: &["Ivanna Petrenko", "Roman Zaitsev"],
        paths: &["suspilstvo", "region", "ekonomika"],
    },
    Tongue {
        tag: "pl",
        topics: ["Wojna", "Klimat", "Wybory", "Energia", "Migracja", "Technologia", "Handel", "Zdrowie", "Wiara", "Granica"],
        titles: &["{place}: rok później", "Jak żyje {place}", "{topic}. Reportaż z miasta {place}", "Ludzie, którzy zostali", "{topic}: co dalej?", "Tam, gdzie kończy się droga", "{place} czeka"],
        freelancers: &["Ewa Kalinowska", "Michał Sroka"],
        paths: &["kraj", "swiat", "reportaz"],
    },
    Tongue {
        tag: "de",
        topics: ["Krieg", "Klima", "Wahlen", "Energie", "Migration", "Technik", "Handel", "Gesundheit", "Glaube", "Grenze"],
        titles: &["{place}: Ein Jahr danach", "So lebt {place}", "{topic}: Was jetzt?", "Die Gebliebenen", "Besuch in {place}", "Am Ende der Straße", "{topic} – eine Reportage aus {place}"],
        freelancers: &["Clara Weidemann", "Lukas Brenner"],
        paths: &["politik", "wirtschaft", "reportage"],
    },
    Tongue {
        tag: "fr",
        topics: ["La guerre", "Le climat", "Les élections", "L'énergie", "Les migrations", "La technologie", "Le commerce", "La santé", "La foi", "La frontière"],
        titles: &["{place}, un an après", "Ceux qui sont restés", "{topic} : et maintenant ?", "Au bout de la route", "Reportage à {place}", "À {place}, le quotidien d'une ville qui tient"],
        freelancers: &["Samuel Ndour", "Claire Vasseur"],
        paths: &["international", "societe", "economie"],
    },
    Tongue {
        tag: "es",
        topics: ["La guerra", "El clima", "Las elecciones", "La energía", "La migración", "La tecnología", "El comercio", "La salud", "La fe", "La frontera"],
        titles: &["{place}, un año después", "Los que se quedaron", "{topic}: ¿y ahora qué?", "Donde termina el camino", "Crónica desde {place}", "{topic}, desde {place}"],
        freelancers: &["Inés Beltrán", "Tomás Ugarte"],
        paths: &["sociedad", "economia", "cronicas"],
    },
    Tongue {
        tag: "pt",
        topics: ["A guerra", "O clima", "As eleições", "A energia", "A migração", "A tecnologia", "O comércio", "A saúde", "A fé", "A fronteira"],
        titles: &["{place}, um ano depois", "Os que ficaram", "{topic}: e agora?", "Onde a estrada acaba", "Reportagem em {place}", "Cartas de {place}"],
        freelancers: &["Marcos Teles", "Beatriz Lobo"],
        paths: &["sociedade", "economia", "reportagem"],
    },
    Tongue {
        tag: "it",
        topics: ["La guerra", "Il clima", "Le elezioni", "L'energia", "Le migrazioni", "La tecnologia", "Il commercio", "La salute", "La fede", "Il confine"],
        titles: &["{place}, un anno dopo", "Quelli che sono rimasti", "{topic}: e adesso?", "Dove finisce la strada", "Reportage da {place}", "Viaggio a {place}"],
        freelancers: &["Giada Sorrentino", "Pietro Lanza"],
        paths: &["cronaca", "esteri", "economia"],
    },
    Tongue {
        tag: "zh",
        topics: ["Zhanzheng", "Qihou", "Xuanju", "Nengyuan", "Yimin", "Keji", "Maoyi", "Jiankang", "Xinyang", "Bianjing"],
        titles: &["{place}: yi nian zhi hou", "Liu xia lai de ren", "{topic}: xia yi bu zenme zou", "Lu de jintou", "{place} jishi", "Zoujin {place}"],
        freelancers: &["Lin Qiao", "Fan Yiming"],
        paths: &["shehui", "jingji", "difang"],
    },
    Tongue {
        tag: "ja",
        topics: ["Senso", "Kiko", "Senkyo", "Enerugi", "Imin", "Gijutsu", "Boeki", "Iryo", "Shinko", "Kokkyo"],
        titles: &["{place} no ima", "Nokotta hitobito", "{topic} no yukue", "Michi no owari de", "{place} kara no hokoku", "Ichinengo no {place}"],
        freelancers: &["Aya Morimoto", "Takuya Endo"],
        paths: &["shakai", "keizai", "chiiki"],
    },
    Tongue {
        tag: "ar",
        topics: ["al-Harb", "al-Munakh", "al-Intikhabat", "al-Taqa", "al-Hijra", "al-Tiknulujiya", "al-Tijara", "al-Siha", "al-Iman", "al-Hudud"],
        titles: &["{place}: ba'd 'am", "Alladhina baqu", "{topic}: ila ayn?", "Haythu yantahi al-tariq", "Min {place}: {topic}", "Rasa'il min {place}"],
        freelancers: &["Karim Sabbagh", "Leila Mansour"],
        paths: &["mujtama", "iqtisad", "taqarir"],
    },
    Tongue {
        tag: "tr",
        topics: ["Savaş", "İklim", "Seçim", "Enerji", "Göç", "Teknoloji", "Ticaret", "Sağlık", "İnanç", "Sınır"],
        titles: &["{place}: Bir yıl sonra", "Kalanlar", "{topic}: Şimdi ne olacak?", "Yolun bittiği yer", "{place} izlenimleri", "{topic} ve {place}"],
        freelancers: &["Deniz Ulusoy", "Cem Erdem"],
        paths: &["gundem", "ekonomi", "yasam"],
    },
];

pub(super) const PHOTOGRAPHERS: &[&str] = &[
    "Mirela Dobos",
    "Kofi Asante-Bright",
    "Ana Lúcia Prado",
    "Yuri Tamm",
    "Leyla Nasser",
    "Tomás Echevarría",
    "Hiroko Anzai",
    "Pieter van Loon",
    "Sunita Rao",
    "Bakyt Osmon",
    "Chloé Ferrand",
    "Wei Changming",
];

pub(super) const AGENCIES: &[&str] = &[
    "Northlight Press",
    "Meridian Pool",
    "Tessera Images",
    "Lumen Agency",
    "Quayside Photo",
    "Halftone Collective",
    "Fieldglass Pictures",
];
