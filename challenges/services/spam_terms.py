"""What the spam filter looks for, per language: what spam sells (categories) and how it sells it (cues).

Terms are written lower-case without accents; the filter folds them exactly as it folds the text it reads
(accents, leetspeak, spaced-out letters), so they are written plainly here. A term also matches its plural in
-s. Languages: "any" (names spelt alike everywhere), English, French, Spanish, German, Italian, Portuguese.
"""

# What spam sells, by names specific enough that cues nearby make an offer of them.
CATEGORIES = {
    "medicine": {
        "any": ("viagra", "cialis", "levitra", "kamagra", "sildenafil", "tadalafil", "vardenafil", "priligy",
                "dapoxetine", "tramadol", "xanax", "alprazolam", "valium", "diazepam", "klonopin", "clonazepam",
                "ativan", "lorazepam", "lexomil", "bromazepam", "rivotril", "stilnox", "zolpidem", "ambien",
                "oxycodone", "oxycontin", "hydrocodone", "percocet", "vicodin", "codeine", "fentanyl", "adderall",
                "modafinil", "armodafinil", "provigil", "ritalin", "phentermine", "carisoprodol", "lyrica",
                "pregabalin", "propecia", "finasteride", "clomid", "ozempic", "wegovy", "semaglutide", "saxenda",
                "mounjaro", "xenical", "orlistat", "ivermectin", "clenbuterol", "anavar", "winstrol", "dianabol",
                "hgh"),
        "en": ("online pharmacy", "online drugstore", "diet pills", "weight loss pills", "fat burner", "ed pills",
               "painkillers", "steroids"),
        "fr": ("pharmacie en ligne", "pilules minceur", "brule graisse", "coupe faim", "anabolisants",
               "steroides"),
        "es": ("farmacia online", "farmacia en linea", "pastillas para adelgazar", "esteroides"),
        "de": ("online apotheke", "versandapotheke", "potenzmittel", "schlankheitspillen"),
        "it": ("farmacia online", "pillole dimagranti", "steroidi"),
        "pt": ("farmacia online", "remedios para emagrecer", "esteroides"),
    },
    "gambling": {
        "any": ("casino", "roulette", "blackjack", "jackpot"),
        "en": ("online slots", "slot machine", "free spins", "betting tips", "fixed matches"),
        "fr": ("machines a sous", "machine a sous", "tours gratuits", "pronostics"),
        "es": ("tragamonedas", "tragaperras", "tiradas gratis", "giros gratis", "pronosticos"),
        "de": ("freispiele", "spielautomaten", "spielothek"),
        "it": ("slot machine", "giri gratis", "pronostici"),
        "pt": ("cassino", "rodadas gratis", "caca niqueis"),
    },
    "crypto scheme": {
        "en": ("trading bot", "trading signals", "binary options", "copy trading", "crypto giveaway",
               "recover your lost", "recover stolen", "funds recovery", "recovery expert"),
        "fr": ("robot de trading", "bot de trading", "trading automatique", "signaux de trading",
               "options binaires"),
        "es": ("bot de trading", "senales de trading", "opciones binarias"),
        "de": ("trading bot", "trading signale", "binare optionen", "binaere optionen"),
        "it": ("bot di trading", "segnali di trading", "opzioni binarie"),
        "pt": ("robo de trading", "sinais de trading", "opcoes binarias"),
    },
    "loan": {
        "en": ("loan", "payday", "cash advance", "lender"),
        "fr": ("pret d argent", "pret entre particuliers", "prets entre particuliers", "offre de pret",
               "pret personnel", "pret rapide", "pret urgent", "credit rapide", "credit urgent", "rachat de credit",
               "besoin d un pret", "besoin d un credit", "preteur"),
        "es": ("prestamo", "prestamos", "prestamista", "credito rapido"),
        "de": ("kredit", "kredite", "darlehen", "sofortkredit", "privatkredit"),
        "it": ("prestito", "prestiti", "prestiti tra privati"),
        "pt": ("emprestimo", "emprestimos", "credito rapido"),
    },
    "adult": {
        "any": ("porn", "porno", "xxx", "escort", "onlyfans", "camgirl", "milf", "sexcam", "sexy", "nude"),
        "en": ("hot singles", "hot girls", "adult dating", "adult webcam", "adult chat", "adult videos",
               "live cams", "sex cams", "webcam girls", "hookup", "naked girls"),
        "fr": ("rencontre coquine", "rencontres coquines", "femmes coquines", "coquine", "plan cul", "videos x",
               "films x", "webcams sexy", "rencontre adulte", "site de rencontre", "femmes mures", "femmes matures"),
        "es": ("chicas calientes", "contactos adultos", "putas", "videos porno"),
        "de": ("heisse singles", "heisse frauen", "erotik", "sextreffen", "sex treffen"),
        "it": ("donne mature", "incontri per adulti", "incontri hot", "ragazze calde"),
        "pt": ("garotas de programa", "acompanhantes", "mulheres gostosas"),
    },
}

# Broad words for the same things, common in honest proposals (a study of bitcoin wallets, medicines delivered to
# pharmacies, sex as a variable): they take a strong cue, or three kinds of weak ones, to make an offer.
BROAD = {
    "medicine": {
        "en": ("pills", "meds", "medicines", "medications", "pharmacy", "pharmacies"),
        "fr": ("pilule", "pilules", "medicaments", "medicament", "comprimes", "pharmacie", "pharmacies"),
        "es": ("pastillas", "medicamentos", "farmacia", "farmacias"),
        "de": ("pillen", "tabletten", "medikamente", "apotheke", "apotheken"),
        "it": ("pillole", "farmaci", "medicinali", "compresse", "farmacia", "farmacie"),
        "pt": ("pilulas", "comprimidos", "remedios", "medicamentos", "farmacia", "farmacias"),
    },
    "gambling": {
        "en": ("betting", "bookmaker", "poker", "gambling"),
        "fr": ("paris sportifs", "pari sportif", "bookmakers", "jeux d argent", "poker"),
        "es": ("apuestas", "apuestas deportivas", "poker"),
        "de": ("sportwetten", "wetten", "poker"),
        "it": ("scommesse", "scommesse sportive", "poker"),
        "pt": ("apostas", "apostas esportivas", "poquer"),
    },
    "crypto scheme": {
        "any": ("bitcoin", "btc", "ethereum", "usdt", "crypto", "forex", "nft", "airdrop"),
        "en": ("cryptocurrency", "cryptocurrencies", "crypto currency"),
        "fr": ("cryptomonnaie", "crypto monnaie", "cryptomonnaies", "crypto monnaies"),
        "es": ("criptomoneda", "criptomonedas"),
        "de": ("kryptowahrung", "kryptowahrungen", "krypto"),
        "it": ("criptovaluta", "criptovalute"),
        "pt": ("criptomoeda", "criptomoedas"),
    },
    "adult": {
        "any": ("sex",),
        "fr": ("sexe",),
        "es": ("sexo",),
        "it": ("sesso",),
        "pt": ("sexo",),
    },
}

# How spam sells: the cues. Which of them count for a category, and which are enough on their own, is its PITCH.
CUES = {
    "no prescription": {
        "en": ("no prescription", "without prescription", "without a prescription", "no rx",
               "prescription not needed", "without a doctor"),
        "fr": ("sans ordonnance", "sans prescription", "aucune ordonnance", "ordonnance non requise",
               "ordonnance non necessaire"),
        "es": ("sin receta", "sin prescripcion", "sin receta medica"),
        "de": ("ohne rezept", "rezeptfrei", "ohne arztliches rezept"),
        "it": ("senza ricetta", "senza prescrizione", "senza ricetta medica"),
        "pt": ("sem receita", "sem prescricao", "sem receita medica"),
    },
    "no credit check": {
        "en": ("no credit check", "bad credit ok", "bad credit accepted", "no collateral", "guaranteed approval"),
        "fr": ("meme fiche", "fiche banque de france", "fiches banque de france", "sans justificatif",
               "sans frais de dossier"),
        "es": ("sin aval", "sin avales", "sin nomina", "asnef", "sin consultar"),
        "de": ("ohne schufa", "trotz schufa", "schlechter bonitat", "ohne bonitatsprufung"),
        "it": ("senza garanzie", "senza busta paga", "anche protestati", "cattivi pagatori"),
        "pt": ("sem consulta", "nome sujo", "negativado", "negativados", "spc serasa"),
    },
    "promised gains": {
        "en": ("guaranteed profit", "guaranteed returns", "guaranteed income", "guaranteed win", "guaranteed wins",
               "passive income", "double your", "sure win", "100 sure"),
        "fr": ("gain garanti", "gains garantis", "rendement garanti", "rendements garantis", "profit garanti",
               "profits garantis", "benefices garantis", "revenus garantis", "revenu passif", "100 surs", "surs a 100",
               "doublez vos", "doublez votre"),
        "es": ("ganancias garantizadas", "ganancia garantizada", "beneficios garantizados",
               "rentabilidad garantizada", "ingresos pasivos", "duplica tu", "100 seguro"),
        "de": ("garantierter gewinn", "garantierte gewinne", "gewinn garantiert", "garantierte rendite",
               "passives einkommen", "verdopple dein"),
        "it": ("vincite garantite", "vincita garantita", "guadagni garantiti", "guadagno garantito",
               "rendimento garantito", "sicuri al 100", "raddoppia i tuoi"),
        "pt": ("lucro garantido", "lucros garantidos", "ganhos garantidos", "renda garantida",
               "rendimento garantido", "renda passiva", "dobre seu"),
    },
    "messaging app": {
        "any": ("whatsapp", "telegram", "viber", "wechat", "snapchat", "kik"),
    },
    "purchase": {
        "en": ("buy", "buying", "purchase", "order now", "order online", "order today", "order at", "for sale",
               "shop now"),
        "fr": ("acheter", "achetez", "achat", "commandez", "commander en ligne", "passer commande", "en vente",
               "a vendre"),
        "es": ("comprar", "compra", "compre", "pide ya", "en venta"),
        "de": ("kaufen", "kauf", "bestellen", "jetzt bestellen"),
        "it": ("comprare", "compra", "acquista", "acquistare", "acquisto", "ordina ora", "in vendita"),
        "pt": ("comprar", "compre", "compra", "a venda"),
    },
    "cheap": {
        "en": ("cheap", "cheapest", "lowest price", "lowest prices", "best price", "best prices", "low price",
               "low prices", "discount", "discounted", "bargain"),
        "fr": ("pas cher", "pas chere", "prix bas", "petit prix", "petits prix", "prix casse", "prix casses",
               "meilleur prix", "meilleurs prix", "prix reduit", "prix reduits", "prix imbattable",
               "prix imbattables", "moins cher", "promo", "bon prix"),
        "es": ("barato", "barata", "precio bajo", "precios bajos", "mejor precio", "descuento"),
        "de": ("billig", "gunstig", "guenstig", "gunstige", "gunstige preise", "beste preise", "rabatt"),
        "it": ("economico", "economica", "prezzo basso", "prezzi bassi", "miglior prezzo", "sconto",
               "a poco prezzo"),
        "pt": ("barato", "barata", "preco baixo", "precos baixos", "melhor preco", "desconto", "promocao"),
    },
    "delivery": {
        "en": ("delivery", "shipping", "shipped", "overnight", "discreet", "discreet package", "worldwide"),
        "fr": ("livraison", "livraisons", "expedition", "envoi", "expedie", "discret", "discrete", "colis",
               "partout en france"),
        "es": ("envio", "envios", "entrega", "a domicilio", "contra reembolso", "discreto", "discreta"),
        "de": ("versand", "lieferung", "diskret", "diskreter", "diskrete"),
        "it": ("spedizione", "consegna", "discreta", "discreto", "in tutta italia"),
        "pt": ("entrega", "envio", "frete", "discreta", "discreto", "todo o brasil"),
    },
    "fast": {
        "en": ("fast", "quick", "instant", "urgent", "same day", "in minutes", "24 7"),
        "fr": ("rapide", "rapidement", "urgent", "urgente", "express", "immediat", "en 24h", "en 48h", "sous 24h",
               "sous 48h"),
        "es": ("rapido", "rapida", "rapidos", "urgente", "inmediato", "inmediata"),
        "de": ("schnell", "schnelle", "schneller", "sofort", "sofortige", "eilig"),
        "it": ("veloce", "veloci", "rapido", "rapida", "rapidi", "urgente", "subito"),
        "pt": ("rapido", "rapida", "urgente", "imediato", "imediata"),
    },
    "free": {
        "en": ("free", "free trial", "no signup"),
        "fr": ("gratuit", "gratuits", "gratuite", "gratuites", "offert", "offerte"),
        "es": ("gratis",),
        "de": ("kostenlos", "kostenlose", "gratis", "ohne anmeldung"),
        "it": ("gratis", "gratuito", "gratuita"),
        "pt": ("gratis", "gratuito", "gratuita"),
    },
    "bonus": {
        "any": ("bonus",),
        "en": ("welcome bonus", "no deposit", "deposit bonus"),
        "fr": ("bonus de bienvenue", "sans depot"),
        "es": ("bono", "bono de bienvenida", "sin deposito"),
        "de": ("ohne einzahlung", "einzahlungsbonus"),
        "it": ("bonus di benvenuto", "senza deposito"),
        "pt": ("bonus de boas vindas", "sem deposito"),
    },
    "call to action": {
        "en": ("sign up", "signup", "register now", "join now", "apply now", "play now", "join our", "message me",
               "dm me", "text us", "text me", "call or text", "contact us", "contact me", "contact him", "act now"),
        "fr": ("inscrivez vous", "inscris toi", "inscription", "rejoignez", "rejoins", "jouez maintenant",
               "contactez moi", "contactez nous", "ecrivez moi", "ecrivez nous", "appelez", "des maintenant",
               "profitez"),
        "es": ("registrate", "haz clic", "escribenos", "escribeme", "contactanos", "contactenos", "llamanos",
               "unete"),
        "de": ("jetzt registrieren", "jetzt anmelden", "melde dich", "schreib mir", "schreiben sie uns",
               "kontaktieren sie"),
        "it": ("gioca subito", "iscriviti", "contattami", "contattaci", "scrivimi", "unisciti"),
        "pt": ("cadastre se", "chame no", "fale conosco", "fale comigo", "entre em contato"),
    },
    "earnings": {
        "en": ("earn", "invest", "invest now", "make money"),
        "fr": ("gagnez", "gagner", "investissez", "investir"),
        "es": ("gana", "ganar", "invierte", "invertir"),
        "de": ("verdienen", "verdiene", "investiere", "investieren"),
        "it": ("guadagna", "guadagnare", "investi", "investire"),
        "pt": ("ganhe", "ganhar", "invista", "investir"),
    },
}

# How each category is sold: the cues that count beside its terms. One strong cue makes an offer; weak ones, which
# honest text uses too (a price, a delivery, a link), take two kinds beside a named term and three beside a broad
# one. Phone numbers, earnings per day ("gagnez 500 € par jour"), email addresses and links are found by their shape.
PITCH = {
    "medicine": {"strong": ("no prescription", "phone number"),  # honest proposals give links and addresses
                 "weak": ("purchase", "cheap", "delivery", "messaging app")},
    "gambling": {"strong": ("promised gains", "phone number"),
                 "weak": ("bonus", "earnings", "call to action", "messaging app", "link")},
    "crypto scheme": {"strong": ("promised gains", "phone number"),
                      "weak": ("earnings", "call to action", "messaging app", "email address", "link")},
    "loan": {"strong": ("no credit check", "phone number"),
             "weak": ("fast", "call to action", "messaging app", "email address", "link")},
    "adult": {"strong": ("phone number",),
              "weak": ("free", "delivery", "call to action", "messaging app", "link")},
}

# Ways of getting in touch: as weak cues they count as one kind between them.
CONTACT = dict.fromkeys(("call to action", "messaging app", "email address", "link"), "contact")

# Phrases that mark spam whatever it sells.
PHRASES = {
    "en": ("buy now", "click here", "limited offer", "free money", "earn money fast", "make money online",
           "work from home", "100% free", "risk free", "double your", "cheap followers", "seo services", "act now",
           "winner you have been selected"),
    "fr": ("acheter maintenant", "achetez maintenant", "cliquez ici", "gagnez de l'argent", "argent facile",
           "gagner de l'argent", "offre limitee", "gratuit a 100", "sans risque", "travail a domicile"),
    "es": ("compra ahora", "haz clic aqui", "dinero facil", "gana dinero", "oferta limitada"),
    "de": ("jetzt kaufen", "hier klicken", "schnelles geld", "kostenlos testen", "geld verdienen"),
    "it": ("compra ora", "clicca qui", "soldi facili", "guadagna soldi"),
    "pt": ("compre agora", "clique aqui", "dinheiro facil", "ganhe dinheiro"),
}
