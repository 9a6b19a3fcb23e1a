"""search folding: search_text folded (no case, accents or ligatures) and over the description too; on PostgreSQL,
its words by stem in English and French (configurations challenges_en and challenges_fr, column search_words kept by
the trigger challenge_search_words, index ix_challenge_words)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 19:30:00.000000

"""
import unicodedata

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSVECTOR


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

BATCH = 500  # challenges per round trip: descriptions run to 100,000 characters
CONFIGURATIONS = {'challenges_en': ('english', 'english_stem'), 'challenges_fr': ('french', 'french_stem')}
WORDS = " || ".join(f"to_tsvector('{name}'::regconfig, NEW.search_text)" for name in CONFIGURATIONS)
# The folding of services/search_text.py as this revision wrote it: a migration is a snapshot, not a caller.
LETTERS = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "þ": "th",
                         "ı": "i", "ħ": "h"})


def _folded(title, summary, tags, description):
    text = " ".join([title, summary or "", *tags, description or ""]).casefold()
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(text.translate(LETTERS).split())


def _lowered(title, summary, tags, description):
    """search_text as revision 0001 wrote it: title, summary and tags, in lower case."""
    return " ".join([title, summary or "", *tags]).lower()


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table('challenge', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_words', sa.Text().with_variant(TSVECTOR(), 'postgresql'),
                                      nullable=True))
    if postgresql:
        _words_kept_by_trigger()
    _refill(_folded, postgresql)
    if postgresql:
        op.create_index('ix_challenge_words', 'challenge', ['search_words'], unique=False, postgresql_using='gin')


def _words_kept_by_trigger():
    """The configurations, and the trigger that writes search_words whenever search_text is written."""
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    for name, (source, stemmer) in CONFIGURATIONS.items():
        # unaccent before the stemmer: search_text is folded already, but a row written behind the service's back
        # is matched without its accents all the same.
        op.execute(f"CREATE TEXT SEARCH CONFIGURATION {name} (COPY = {source})")
        op.execute(f"ALTER TEXT SEARCH CONFIGURATION {name} ALTER MAPPING FOR hword, hword_part, word "
                   f"WITH unaccent, {stemmer}")
    # search_path as the migration found it: the configurations' names resolve alike whoever writes a challenge.
    op.execute(f"""CREATE FUNCTION challenge_search_words() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
  NEW.search_words := {WORDS};
  RETURN NEW;
END $$""")
    op.execute("CREATE TRIGGER challenge_search_words BEFORE INSERT OR UPDATE OF search_text ON challenge "
               "FOR EACH ROW EXECUTE FUNCTION challenge_search_words()")
    # A longer list of the most common words than the default 100 keeps: a word missing from it is guessed at
    # 0.5% of the rows, and a list query for a rare word then walks its sort order's index reading every row
    # instead of picking the few from ix_challenge_words (160 ms against 0.5 ms at 100,000 challenges).
    op.execute("ALTER TABLE challenge ALTER COLUMN search_words SET STATISTICS 1000")


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.drop_index('ix_challenge_words', table_name='challenge')
        op.execute("DROP TRIGGER challenge_search_words ON challenge")
        op.execute("DROP FUNCTION challenge_search_words()")
        for name in CONFIGURATIONS:
            op.execute(f"DROP TEXT SEARCH CONFIGURATION {name}")
    with op.batch_alter_table('challenge', schema=None) as batch_op:
        batch_op.drop_column('search_words')
    _refill(_lowered, postgresql)


def _refill(compose, postgresql):
    """Rewrite every challenge's search_text with compose(title, summary, tags, description), in id order, in
    batches; on PostgreSQL the trigram index is rebuilt once afterwards rather than updated row by row."""
    bind = op.get_bind()
    if postgresql:
        op.drop_index('ix_challenge_search', table_name='challenge')
    last = 0
    while rows := bind.execute(sa.text("SELECT id, title, summary, description FROM challenge WHERE id > :last "
                                       "ORDER BY id LIMIT :batch"), {"last": last, "batch": BATCH}).all():
        tags = {}
        for challenge_id, tag in bind.execute(sa.text(
                "SELECT challenge_id, tag FROM challenge_tag WHERE challenge_id BETWEEN :first AND :last "
                "ORDER BY challenge_id, position"), {"first": rows[0].id, "last": rows[-1].id}):
            tags.setdefault(challenge_id, []).append(tag)
        bind.execute(sa.text("UPDATE challenge SET search_text = :text WHERE id = :id"),
                     [{"id": row.id, "text": compose(row.title, row.summary, tags.get(row.id, []), row.description)}
                      for row in rows])
        last = rows[-1].id
    if postgresql:
        op.create_index('ix_challenge_search', 'challenge', ['search_text'], unique=False,
                        postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
