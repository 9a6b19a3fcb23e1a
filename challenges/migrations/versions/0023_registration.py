"""registering for a challenge: registration mode, deadline and form; a registration's status and answers

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 20:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('challenge', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registration', sa.Enum('open', 'approval', 'closed', name='registrationmode', native_enum=False, create_constraint=True, length=20), server_default='open', nullable=False))
        batch_op.add_column(sa.Column('registration_closes_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('registration_form', sa.JSON(), nullable=True))
    # Existing challenges have no form: an empty list, as new ones get.
    op.execute(sa.text("UPDATE challenge SET registration_form = '[]'"))
    with op.batch_alter_table('challenge', schema=None) as batch_op:
        batch_op.alter_column('registration_form', existing_type=sa.JSON(), nullable=False)
        batch_op.add_column(sa.Column('registration_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('pending_registration_count', sa.Integer(), server_default='0', nullable=False))
    # Every participation so far was made by submitting: approved.
    op.execute(sa.text("UPDATE challenge SET registration_count = "
                       "(SELECT count(*) FROM participation WHERE participation.challenge_id = challenge.id)"))

    with op.batch_alter_table('participation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.Enum('pending', 'approved', 'refused', name='registrationstatus', native_enum=False, create_constraint=True, length=20), server_default='approved', nullable=False))
        batch_op.add_column(sa.Column('answers', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('refusal_reason', sa.Text(), nullable=True))
        batch_op.create_index('ix_participation_status', ['challenge_id', 'status', 'user_id'], unique=False)
    op.execute(sa.text("UPDATE participation SET answers = '{}'"))  # made by submitting: no form answered
    with op.batch_alter_table('participation', schema=None) as batch_op:
        batch_op.alter_column('answers', existing_type=sa.JSON(), nullable=False)
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_counting()
    else:
        _sqlite_counting()


# The challenge's registration counts follow its participation rows, whichever code writes them: the submit path's
# upsert touches no status, so a returning participant costs nothing, and a new one one UPDATE of a row that
# submitting updates anyway (submission_count), at the commit.
def _moves(row: str, sign: str, cast: str) -> str:
    approved, pending = (cast.format(f"{row}.status = '{status}'") for status in ("approved", "pending"))
    return (f"registration_count = registration_count {sign} {approved}, "
            f"pending_registration_count = pending_registration_count {sign} {pending}")


def _postgresql_counting():
    cast = "({})::int"
    op.execute(f"""
        CREATE FUNCTION participation_counts() RETURNS trigger AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                UPDATE challenge SET {_moves('OLD', '-', cast)} WHERE id = OLD.challenge_id;
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') THEN
                UPDATE challenge SET {_moves('NEW', '+', cast)} WHERE id = NEW.challenge_id;
            END IF;
            RETURN NULL;
        END
        $$ LANGUAGE plpgsql""")
    # Deferred to the commit: a first submission then holds the challenge's row no longer than count() does.
    op.execute("CREATE CONSTRAINT TRIGGER participation_counts AFTER INSERT OR DELETE OR UPDATE OF status "
               "ON participation DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION participation_counts()")


def _sqlite_counting():
    cast = "({})"
    op.execute(f"CREATE TRIGGER participation_counted AFTER INSERT ON participation BEGIN "
               f"UPDATE challenge SET {_moves('NEW', '+', cast)} WHERE id = NEW.challenge_id; END")
    op.execute(f"CREATE TRIGGER participation_uncounted AFTER DELETE ON participation BEGIN "
               f"UPDATE challenge SET {_moves('OLD', '-', cast)} WHERE id = OLD.challenge_id; END")
    op.execute(f"CREATE TRIGGER participation_recounted AFTER UPDATE OF status ON participation BEGIN "
               f"UPDATE challenge SET {_moves('OLD', '-', cast)} WHERE id = OLD.challenge_id; "
               f"UPDATE challenge SET {_moves('NEW', '+', cast)} WHERE id = NEW.challenge_id; END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER participation_counts ON participation")
        op.execute("DROP FUNCTION participation_counts()")
    else:
        for name in ("participation_counted", "participation_uncounted", "participation_recounted"):
            op.execute(f"DROP TRIGGER {name}")
    with op.batch_alter_table('participation', schema=None) as batch_op:
        batch_op.drop_index('ix_participation_status')
        batch_op.drop_column('refusal_reason')
        batch_op.drop_column('decided_at')
        batch_op.drop_column('answers')
        batch_op.drop_constraint(op.f('ck_participation_registrationstatus'), type_='check')  # SQLite's copy would keep it
        batch_op.drop_column('status')

    with op.batch_alter_table('challenge', schema=None) as batch_op:
        batch_op.drop_column('pending_registration_count')
        batch_op.drop_column('registration_count')
        batch_op.drop_column('registration_form')
        batch_op.drop_column('registration_closes_at')
        batch_op.drop_constraint(op.f('ck_challenge_registrationmode'), type_='check')  # SQLite's copy would keep it
        batch_op.drop_column('registration')
