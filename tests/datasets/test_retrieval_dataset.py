import json

from semmim.datasets import RetrievalDataset


def test_train_and_test_modes(tmp_path):
    json.dump([{'image': 'a.png', 'caption': 'x', 'image_id': 'img_a'},
               {'image': 'a.png', 'caption': 'y', 'image_id': 'img_a'},
               {'image': 'b.png', 'caption': 'z', 'image_id': 'img_b'}],
              open(tmp_path / 'train.json', 'w'))
    json.dump([{'image': 'a.png', 'caption': ['p', 'q']},
               {'image': 'b.png', 'caption': ['r', 's', 't']}],
              open(tmp_path / 'test.json', 'w'))
    train = RetrievalDataset('train.json', data_root=str(tmp_path))
    assert [train.get_data_info(i)['image_id'] for i in range(3)] == [0, 0, 1]
    assert (train.img_size, train.text_size) == (2, 3)
    test = RetrievalDataset('test.json', data_root=str(tmp_path),
                            test_mode=True)
    assert (test.img_size, test.text_size) == (2, 5)
    assert test.img2txt == [[0, 1], [2, 3, 4]]
    assert test.txt2img == [0, 0, 1, 1, 1]
    info = test.get_data_info(1)
    assert info['text'] == ['r', 's', 't'] and info['text_idx'] == [2, 3, 4]
    assert info['img_path'] == str(tmp_path / 'b.png')
