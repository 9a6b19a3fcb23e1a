"""Questions, answers and clarifications."""
from challenges.api.blueprint import Blueprint

from challenges.api.guards import guard
from challenges.api.idempotent import idempotent
from challenges.auth import authenticated, current_user, login_required
from challenges.schemas.common import PageArgs, page_of
from challenges.schemas.communication import AnswerIn, QuestionIn, QuestionOut
from challenges.services import challenges, questions

bp = Blueprint("questions", __name__, url_prefix="/api/v1", description="Questions, answers and clarifications.")


def _answerable(actor, question_id):
    challenges.manageable(actor, questions.visible(actor, question_id).challenge_id)


@bp.post("/challenges/<id:challenge_id>/questions")
@login_required
@guard(questions.askable)
@idempotent
@bp.arguments(QuestionIn)
@bp.response(201, QuestionOut)
def ask_question(data, challenge_id):
    """Ask the organisation a question about a published challenge."""
    return questions.ask(current_user(), challenge_id, data["body"])


@bp.get("/challenges/<id:challenge_id>/questions")
@authenticated
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_of(QuestionOut))
def list_questions(args, challenge_id):
    """Answered questions for everyone, the caller's own, and all of them for members; newest first."""
    return questions.for_challenge(current_user(), challenge_id, **args)


@bp.post("/questions/<id:question_id>/answer")
@login_required
@guard(_answerable)
@bp.arguments(AnswerIn)
@bp.response(200, QuestionOut)
def answer_question(data, question_id):
    """Answer a question (owners, managers); `official: true` makes it a clarification."""
    return questions.answer(current_user(), question_id, **data)


@bp.get("/challenges/<id:challenge_id>/clarifications")
@authenticated
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_of(QuestionOut))
def list_clarifications(args, challenge_id):
    """The official answers of a challenge, newest first."""
    return questions.clarifications(current_user(), challenge_id, **args)
