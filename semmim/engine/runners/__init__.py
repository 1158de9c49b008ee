from .retrieval_loop import TwoStageRetrievalTestLoop, TwoStageRetrievalValLoop

__all__ = ['TwoStageRetrievalTestLoop', 'TwoStageRetrievalValLoop']
