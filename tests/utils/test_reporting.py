from semmim.utils.reporting import format_metrics


def rows(text):
    return {line.split()[0]: line.split()[1:] for line in text.splitlines()
            if line.strip()}


def test_caption_scores_are_printed_next_to_their_baseline():
    text = format_metrics({
        'caption/BLEU_4': 10.0, 'caption/CIDEr': 50.5,
        'caption/baseline/BLEU_4': 2.0, 'caption/baseline/CIDEr': 5.25,
        'caption/in-domain/CIDEr': 40.0,
        'caption/baseline/in-domain/CIDEr': 4.0})
    r = rows(text)
    assert r['BLEU_4'] == ['10.00', '2.00']
    assert r['CIDEr'] == ['50.50', '5.25']
    assert r['in-domain/CIDEr'] == ['40.00', '4.00']
    # a metric without a baseline of its own is not paired with another's
    assert 'METEOR' not in rows(format_metrics({
        'caption/METEOR': 9.0, 'caption/CIDEr': 1.0,
        'caption/baseline/CIDEr': 0.5}))


def test_vqa_accuracy_is_printed_next_to_the_priors():
    text = format_metrics({'vqa/acc': 50.0, 'vqa/acc_yes_no': 60.0,
                           'vqa/prior_acc': 20.0,
                           'vqa/prior_acc_yes_no': 40.0})
    assert 'most frequent answer' in text
    assert '50.00' in text and '20.00' in text and '40.00' in text


def test_unprefixed_caption_keys():
    assert rows(format_metrics({'CIDEr': 3.0, 'baseline/CIDEr': 1.0}))[
        'CIDEr'] == ['3.00', '1.00']


def test_other_metrics_one_a_line():
    assert rows(format_metrics({'a': 1.0, 'b': 2}))['b'] == ['2']
