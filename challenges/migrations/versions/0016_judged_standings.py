"""judged standings: the judges' verdict kept on each submission, and the index the judged leaderboard walks

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 17:00:00.000000

"""
import statistics

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

UNREVIEWED = 1e18
DIGITS = 9
RANKED = "status = 'submitted' AND moderation = 'visible'"


def upgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('review_score', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('review_spread', sa.Float(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('review_order', sa.Float(), server_default=str(UNREVIEWED), nullable=False))
        batch_op.create_index('ix_submission_judged_order', ['challenge_id', 'review_order', 'submitted_at', 'id'],
                              unique=False, postgresql_where=sa.text(RANKED), sqlite_where=sa.text(RANKED))
    _fill()


def _fill():
    """The verdict of every reviewed submission, as services.standings computes it in this revision."""
    bind = op.get_bind()
    challenge = sa.table('challenge', sa.column('id'), sa.column('evaluation'), sa.column('judging', sa.JSON))
    submission = sa.table('submission', *map(sa.column, ('id', 'status', 'review_count', 'review_score',
                                                         'review_spread', 'review_order')))
    review = sa.table('review', *map(sa.column, ('challenge_id', 'submission_id', 'judge_id', 'weighted_score')))
    reviewed = sa.exists().where(review.c.challenge_id == challenge.c.id)
    for challenge_id, judging in bind.execute(sa.select(challenge.c.id, challenge.c.judging).where(
            challenge.c.evaluation == 'judged', reviewed)):
        reviews = bind.execute(sa.select(review.c.submission_id, review.c.judge_id, review.c.weighted_score)
                               .join(submission, submission.c.id == review.c.submission_id)
                               .where(review.c.challenge_id == challenge_id, submission.c.status == 'submitted')).all()
        counted = _z_scores(reviews) if (judging or {}).get('normalise') else {(s, j): w for s, j, w in reviews}
        marks = {}
        for submission_id, judge_id, weighted in reviews:
            marks.setdefault(submission_id, []).append((weighted, counted[submission_id, judge_id]))
        rows = []
        for submission_id, pairs in marks.items():
            score = round(statistics.fmean(c for _, c in pairs), DIGITS)
            rows.append({'key': submission_id, 'count': len(pairs), 'score': score, 'order': -score,
                         'spread': round(max(w for w, _ in pairs) - min(w for w, _ in pairs), DIGITS)})
        if rows:
            bind.execute(submission.update().where(submission.c.id == sa.bindparam('key')).values(
                review_count=sa.bindparam('count'), review_score=sa.bindparam('score'),
                review_spread=sa.bindparam('spread'), review_order=sa.bindparam('order')), rows)


def _z_scores(reviews):
    by_judge = {}
    for _, judge_id, weighted in reviews:
        by_judge.setdefault(judge_id, []).append(weighted)
    spread = {judge: (statistics.fmean(values), statistics.pstdev(values)) for judge, values in by_judge.items()}
    return {(s, j): (w - spread[j][0]) / spread[j][1] if spread[j][1] else 0.0 for s, j, w in reviews}


def downgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index('ix_submission_judged_order', postgresql_where=sa.text(RANKED),
                            sqlite_where=sa.text(RANKED))
        batch_op.drop_column('review_order')
        batch_op.drop_column('review_spread')
        batch_op.drop_column('review_score')
        batch_op.drop_column('review_count')
