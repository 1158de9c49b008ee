import torch

from semmim.models.heads import CLSDistillHead, PatchDistillHead


def test_cls_loss_is_dino_cross_entropy_and_centre_updates():
    head = CLSDistillHead(num_codes=5, student_temp=0.1, teacher_temp=0.05,
                          center_momentum=0.9)
    s, t = torch.randn(3, 5), torch.randn(3, 5)
    head.center.center.fill_(0.2)
    out = head.loss(s, t)
    target = torch.softmax((t - 0.2) / 0.05, -1)
    ref = -(target * torch.log_softmax(s / 0.1, -1)).sum(-1).mean()
    torch.testing.assert_close(out['loss_cls'], ref)
    torch.testing.assert_close(head.center.center,
                               0.9 * 0.2 + 0.1 * t.mean(0, keepdim=True))
    assert 'teacher_temp' in head.state_dict()


def test_patch_loss_uses_masked_patches_only():
    head = PatchDistillHead(num_codes=4)
    teacher = torch.randn(2, 3, 4)
    mask = torch.tensor([[True, False, True], [False, False, True]])
    student = torch.randn(3, 4)  # the 3 masked patches
    out = head.loss(student, teacher, mask)
    target = torch.softmax(teacher[mask] / 0.07, -1)
    ref = -(target * torch.log_softmax(student / 0.1, -1)).sum(-1).mean()
    torch.testing.assert_close(out['loss_patch'], ref)
    # the centre sees every patch
    torch.testing.assert_close(
        head.center.center, 0.1 * teacher.reshape(-1, 4).mean(0, True))
