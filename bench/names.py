"""Realistic French names for the generated data set (établissements, internal structures, offers)."""

TOWNS = [
    "Saint-Étienne", "Saint-Denis", "Saint-Malo", "Saint-Nazaire", "Saint-Brieuc", "Saint-Quentin", "Saint-Lô",
    "Saint-Dié-des-Vosges", "Saint-Gaudens", "Saint-Affrique", "Saint-Flour", "Saint-Omer", "Saint-Dizier",
    "Saint-Amand-Montrond", "Saint-Girons", "Saint-Jean-de-Luz", "Saint-Avold", "Saint-Claude", "Saint-Junien",
    "Saint-Pol-sur-Ternoise", "Sainte-Foy-la-Grande", "Saint-Chamond", "Saint-Marcellin", "Saint-Palais",
    "Albi", "Castres", "Rodez", "Millau", "Montauban", "Cahors", "Auch", "Tarbes", "Pau", "Bayonne", "Dax",
    "Mont-de-Marsan", "Agen", "Périgueux", "Bergerac", "Limoges", "Brive-la-Gaillarde", "Tulle", "Guéret",
    "Poitiers", "Niort", "La Rochelle", "Angoulême", "Saintes", "Cognac", "Nantes", "Angers", "Cholet",
    "Laval", "Le Mans", "Tours", "Blois", "Orléans", "Bourges", "Châteauroux", "Chartres", "Dreux", "Évreux",
    "Rouen", "Le Havre", "Dieppe", "Caen", "Cherbourg-en-Cotentin", "Alençon", "Lisieux", "Amiens", "Abbeville",
    "Beauvais", "Compiègne", "Laon", "Soissons", "Lille", "Roubaix", "Tourcoing", "Valenciennes", "Douai",
    "Cambrai", "Arras", "Lens", "Béthune", "Calais", "Boulogne-sur-Mer", "Reims", "Épernay", "Troyes",
    "Chaumont", "Nancy", "Metz", "Thionville", "Épinal", "Colmar", "Mulhouse", "Strasbourg", "Haguenau",
    "Belfort", "Besançon", "Dole", "Lons-le-Saunier", "Dijon", "Beaune", "Chalon-sur-Saône", "Mâcon", "Auxerre",
    "Nevers", "Moulins", "Vichy", "Montluçon", "Clermont-Ferrand", "Aurillac", "Le Puy-en-Velay", "Roanne",
    "Lyon", "Villefranche-sur-Saône", "Bourg-en-Bresse", "Annecy", "Chambéry", "Grenoble", "Vienne", "Valence",
    "Privas", "Aubenas", "Gap", "Digne-les-Bains", "Nice", "Cannes", "Grasse", "Antibes", "Toulon", "Draguignan",
    "Avignon", "Carpentras", "Marseille", "Aix-en-Provence", "Arles", "Martigues", "Nîmes", "Alès", "Montpellier",
    "Béziers", "Sète", "Narbonne", "Carcassonne", "Perpignan", "Foix", "Pamiers", "Toulouse", "Muret",
    "Mende", "Ajaccio", "Bastia", "Porto-Vecchio", "Brest", "Quimper", "Lorient", "Vannes", "Rennes", "Fougères",
    "Vitré", "Pointe-à-Pitre", "Basse-Terre", "Fort-de-France", "Le Lamentin", "Cayenne", "Kourou",
    "Saint-Pierre", "Saint-Paul", "Le Tampon", "Meaux", "Melun", "Fontainebleau", "Versailles", "Poissy",
    "Évry-Courcouronnes", "Corbeil-Essonnes", "Créteil", "Argenteuil", "Pontoise", "Montreuil", "Bobigny",
    "Saint-Germain-en-Laye", "Saint-Cloud", "Saint-Maur-des-Fossés", "Saint-Ouen-sur-Seine",
]  # fmt: skip

SAINTS = [
    "Saint-Joseph", "Sainte-Marie", "Saint-Vincent-de-Paul", "Saint-Louis", "Sainte-Anne", "Saint-Jean",
    "Saint-Martin", "Saint-Roch", "Sainte-Thérèse", "Saint-François", "Sainte-Claire", "Saint-Augustin",
    "Saint-Michel", "Saint-Exupéry", "Sainte-Famille", "Saint-Charles",
]  # fmt: skip

PLACES = [
    "du Parc", "des Cèdres", "du Château", "de l'Espérance", "du Val Fleuri", "des Lilas", "du Pont",
    "des Quatre Saisons", "de la Roseraie", "du Lac", "des Pins", "du Mail", "de la Source", "Pasteur",
    "Jean Jaurès", "Ambroise Paré", "Claude Bernard", "Marie Curie", "Louis Pasteur", "Victor Hugo",
]  # fmt: skip

RESIDENCES = [
    "Les Tilleuls", "Les Jardins d'Automne", "Le Clos Fleuri", "Les Glycines", "Les Mimosas", "Le Bon Accueil",
    "La Roseraie", "Les Charmilles", "Les Lavandes", "Les Peupliers", "L'Oustal", "Le Soleil Levant",
    "Les Hirondelles", "La Maison du Lac", "Les Magnolias", "Les Acacias", "Le Castel", "La Bastide",
] + SAINTS  # fmt: skip

# (catégorie code, share of the EG, name patterns, domaine): "{town}", "{saint}", "{place}", "{residence}".
CATEGORIES = [
    ("355", 0.10, ["Centre hospitalier de {town}", "Centre hospitalier intercommunal de {town}"]),
    ("106", 0.05, ["Hôpital local de {town}", "Centre hospitalier de {town}"]),
    ("365", 0.10, ["Clinique {saint}", "Polyclinique {saint}", "Clinique {place}", "Polyclinique de {town}"]),
    ("128", 0.03, ["Clinique chirurgicale {place}", "Clinique {saint}"]),
    ("129", 0.02, ["Clinique médicale {place}", "Clinique {saint}"]),
    ("109", 0.06, ["Centre de soins médicaux et de réadaptation {place}", "SMR {saint}"]),
    ("292", 0.02, ["Centre hospitalier spécialisé de {town}", "Centre psychothérapique {saint}"]),
    ("362", 0.02, ["Unité de soins de longue durée de {town}"]),
    ("500", 0.30, ["EHPAD {residence}", "EHPAD {residence} de {town}", "EHPAD de {town}"]),
    ("202", 0.08, ["Résidence autonomie {residence}"]),
    ("183", 0.06, ["IME {residence}", "Institut médico-éducatif de {town}"]),
    ("255", 0.04, ["MAS {residence}", "Maison d'accueil spécialisée de {town}"]),
    ("437", 0.04, ["FAM {residence}", "Foyer d'accueil médicalisé de {town}"]),
    ("246", 0.05, ["ESAT {residence}", "ESAT de {town}"]),
    ("182", 0.03, ["SESSAD de {town}"]),
]  # fmt: skip

POLES = [
    "Pôle Médecine", "Pôle Chirurgie", "Pôle Femme-Mère-Enfant", "Pôle Urgences", "Pôle Gériatrie",
    "Pôle Psychiatrie", "Pôle Cardio-vasculaire et métabolique", "Pôle Neurosciences", "Pôle Imagerie",
    "Pôle Oncologie", "Pôle Réadaptation", "Pôle Médico-technique", "Pôle Anesthésie-Réanimation",
    "Pôle Spécialités médicales",
]  # fmt: skip

# (specialty, champ d'activité, activité opérationnelle)
SPECIALTIES = [
    ("cardiologie", "01", "013"), ("pneumologie", "01", "030"), ("gastro-entérologie", "01", "083"),
    ("neurologie", "01", "083"), ("néphrologie", "01", "083"), ("endocrinologie", "01", "083"),
    ("médecine polyvalente", "01", "083"), ("chirurgie orthopédique", "01", "025"),
    ("chirurgie viscérale", "01", "025"), ("chirurgie thoracique", "01", "030"),
    ("gynécologie-obstétrique", "01", "083"), ("pédiatrie", "01", "083"), ("néonatologie", "01", "083"),
    ("gériatrie", "01", "050"), ("psychiatrie adulte", "03", "083"), ("pédopsychiatrie", "03", "083"),
    ("réadaptation cardio-vasculaire", "02", "235"), ("soins médicaux et de réadaptation", "02", "235"),
    ("oncologie", "01", "083"), ("hématologie", "01", "071"), ("médecine d'urgence", "01", "083"),
    ("réanimation", "01", "083"), ("imagerie médicale", "01", "067"), ("rhumatologie", "01", "083"),
    ("dermatologie", "01", "083"), ("ophtalmologie", "01", "106"), ("addictologie", "01", "003"),
    ("soins palliatifs", "01", "004"), ("allergologie", "01", "005"), ("cardiologie interventionnelle", "01", "013"),
]  # fmt: skip

# (UF label, offer label, mode de prise en charge)
UF_KINDS = [
    ("Hospitalisation complète", "Hospitalisation complète de {s}", "28"),
    ("Hôpital de jour", "Hôpital de jour de {s}", "29"),
    ("Consultations", "Consultations de {s}", "32"),
    ("Hospitalisation de semaine", "Hospitalisation de semaine de {s}", "34"),
    ("Plateau technique", "Plateau technique de {s}", "55"),
    ("Soins intensifs", "Soins intensifs de {s}", "28"),
    ("Équipe mobile", "Équipe mobile de {s}", "52"),
]  # fmt: skip

# Médico-social offers, attached to the EG itself: (offer label, mode, ages)
MEDICO_SOCIAL_OFFERS = {
    "500": [("Hébergement permanent", "46", (60, None)), ("Accueil de jour", "47", (60, None)),
            ("Hébergement temporaire", "46", (60, None)), ("Unité de vie protégée", "46", (60, None))],
    "202": [("Hébergement permanent en résidence autonomie", "46", (60, None))],
    "183": [("Accompagnement des enfants et adolescents", "54", (6, 20)), ("Accueil de jour", "47", (6, 20))],
    "255": [("Hébergement en maison d'accueil spécialisée", "46", (18, None)), ("Accueil de jour", "47", (18, None))],
    "437": [("Hébergement en foyer d'accueil médicalisé", "46", (18, None))],
    "246": [("Accompagnement par le travail", "54", (18, 60))],
    "182": [("Accompagnement à domicile", "49", (0, 20))],
}  # fmt: skip
