//! The lists demo names are drawn from.

pub(super) const COMPANIES: &[&str] = &[
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark",
    "Wayne",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Vandelay",
    "Oscorp",
    "Massive",
    "Duff",
    "Monarch",
    "Gringotts",
    "Aperture",
    "Black Mesa",
    "Nakatomi",
];
pub(super) const REGIONS: &[&str] = &[
    "North",
    "South",
    "East",
    "West",
    "Central",
    "Coast",
    "Valley",
    "Highlands",
];
pub(super) const CITIES: &[&str] = &[
    "Lisbon", "Porto", "Lyon", "Turin", "Ghent", "Malmö", "Bergen", "Graz", "Brno", "Kraków",
    "Tartu", "Cork", "Leeds", "Utrecht", "Basel", "Bilbao",
];
pub(super) const FIRST: &[&str] = &[
    "Ada", "Ben", "Chloé", "Dev", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kaia",
    "Liam", "Mira", "Nils", "Olga", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera",
    "Wim", "Xenia", "Yusuf", "Zoe",
];
pub(super) const LAST: &[&str] = &[
    "Almeida", "Brandt", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Horvat", "Ivanova",
    "Jansen", "Kowalski", "Larsen", "Moreau", "Novak", "O'Brien", "Petrov", "Rossi", "Schmidt",
    "Tanaka", "Uddin", "Varga", "Weber",
];
pub(super) const WORK: &[&str] = &[
    "Planning",
    "Build",
    "Review",
    "Support",
    "Migration",
    "Audit",
    "Rollout",
];
